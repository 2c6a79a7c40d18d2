#pragma once
// The options of the depth network (what config reads); the network is models/depth_model.h.
#include <cstdint>

#include <torch/arg.h>

#include "depthguard/core/choice.h"
#include "depthguard/models/swin_v2_options.h"
#include "depthguard/numerics/depth_head_options.h"

namespace depthguard {

enum class Architecture {
  ResNet18Mim,  ///< ResNet-18 + the MIM/GLPDepth decoder on the stride-32 feature (benchmark model)
  ResNetUnet,   ///< ResNet-18 layout at a chosen width + a U-Net decoder with skips (CPU default)
  SwinV2Mim,    ///< MIM itself: a SwinV2 encoder (ModelOptions::swin) + MIM's decoder
};
const ChoiceTable<Architecture>& architecture_choices();

/// The normalisation after each convolution of encoder and decoder (models/normalization.h).
enum class NormKind { Batch, Group, None };
const ChoiceTable<NormKind>& norm_kind_choices();

struct ModelOptions {
  TORCH_ARG(Architecture, arch) = Architecture::ResNetUnet;
  /// Encoder width (channels of its first stage); 64 is ResNet-18 itself. ResNet encoders only.
  TORCH_ARG(int64_t, width) = 32;
  /// The SwinV2 encoder of swinv2-mim (model.backbone and its keys).
  TORCH_ARG(SwinV2Options, swin) = {};
  TORCH_ARG(DepthHeadOptions, head) = {};
  /// batch (torchvision's ResNet, the default), group or none.
  TORCH_ARG(NormKind, norm) = NormKind::Batch;
  /// Initial bias of the last convolution, i.e. the logit everywhere at the start (MIM: 0).
  /// For the sigmoid heads the first depth is max_depth * sigmoid(head_bias); below about
  /// -88 the naive head's sigmoid underflows to 0 in float32 (the V2 trigger of the study).
  TORCH_ARG(double, head_bias) = 0.0;
};

/// The default width of an architecture: 64 for resnet18-mim (its exact spec), 32 for unet.
int64_t default_width(Architecture arch);

}  // namespace depthguard
