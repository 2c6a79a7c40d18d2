#pragma once
// A monocular depth network: encoder, decoder, a small convolutional head giving one logit
// per pixel, and the numerics module's DepthHead turning logits into log-depth.
#include <cstdint>
#include <memory>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

#include "depthguard/config/choice.h"
#include "depthguard/models/decoders.h"
#include "depthguard/models/resnet_encoder.h"
#include "depthguard/numerics/depth_head.h"

namespace depthguard {

enum class Architecture {
  ResNet18Mim,  ///< ResNet-18 + the MIM/GLPDepth decoder on the stride-32 feature (benchmark model)
  ResNetUnet,   ///< ResNet-18 layout at a chosen width + a U-Net decoder with skips (CPU default)
};
const ChoiceTable<Architecture>& architecture_choices();

struct ModelOptions {
  TORCH_ARG(Architecture, arch) = Architecture::ResNetUnet;
  /// Encoder width (channels of its first stage); 64 is ResNet-18 itself.
  TORCH_ARG(int64_t, width) = 32;
  TORCH_ARG(DepthHeadOptions, head) = {};
  /// Initial bias of the last convolution, i.e. the logit everywhere at the start (MIM: 0).
  /// For the sigmoid heads the first depth is max_depth * sigmoid(head_bias); below about
  /// -88 the naive head's sigmoid underflows to 0 in float32 (the V2 trigger of the study).
  TORCH_ARG(double, head_bias) = 0.0;
};

/// The default width of an architecture: 64 for resnet18-mim (its exact spec), 32 for unet.
int64_t default_width(Architecture arch);

class DepthModelImpl : public torch::nn::Module {
 public:
  explicit DepthModelImpl(ModelOptions options = {});
  /// Log-depth (metres) [B, 1, H, W] of a normalised image [B, 3, H, W]. H and W must be
  /// multiples of 32; otherwise throws c10::Error saying so.
  torch::Tensor forward(const torch::Tensor& image);

  ModelOptions options;

 private:
  ResNetEncoder encoder{nullptr};
  std::shared_ptr<DecoderImpl> decoder;
  torch::nn::Sequential last_layer_depth{nullptr};  // conv 3x3 - ReLU - conv 3x3 to one logit
  DepthHead head{nullptr};
};
TORCH_MODULE(DepthModel);

/// Converts the 4-D parameters (convolution weights) to the channels-last memory format.
void to_channels_last(torch::nn::Module& module);

/// The number of parameters of a module (for logs).
int64_t parameter_count(const torch::nn::Module& module);

}  // namespace depthguard
