#pragma once
// A monocular depth network: encoder, decoder, a small convolutional head giving one logit
// per pixel, and the numerics module's DepthHead turning logits into log-depth.
#include <cstdint>
#include <memory>
#include <string>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

#include "depthguard/models/decoders.h"
#include "depthguard/models/model_options.h"
#include "depthguard/models/feature_encoder.h"
#include "depthguard/models/resnet_encoder.h"
#include "depthguard/models/swin_v2_encoder.h"
#include "depthguard/numerics/depth_head.h"

namespace depthguard {

class DepthModelImpl : public torch::nn::Module {
 public:
  explicit DepthModelImpl(ModelOptions options = {});
  /// Log-depth (metres) [B, 1, H, W] of a normalised image [B, 3, H, W]. H and W must be
  /// multiples of 32; otherwise throws c10::Error saying so.
  torch::Tensor forward(const torch::Tensor& image);

  /// For layer-wise learning-rate decay (optimizer.layer_decay): the layer of a parameter
  /// (its name in named_parameters()), counted from the input, and how many layers there
  /// are. swinv2-mim: SimMIM's and MIM's layers of the encoder (SwinV2Encoder::layer_of),
  /// the decoder and head in the last. The ResNet models: one layer, so no decay.
  int64_t layer_of(const std::string& name) const;
  int64_t layers() const;

  ModelOptions options;

 private:
  std::shared_ptr<FeatureEncoderImpl> encoder;
  std::shared_ptr<SwinV2EncoderImpl> swin_;  ///< the encoder when it is SwinV2, else null
  std::shared_ptr<DecoderImpl> decoder;
  torch::nn::Sequential last_layer_depth{nullptr};  // conv 3x3 - ReLU - conv 3x3 to one logit
  DepthHead head{nullptr};
};
TORCH_MODULE(DepthModel);

/// Converts the 4-D parameters (convolution weights) to the channels-last memory format, or,
/// with `on` false, to the contiguous (NCHW) one.
void to_channels_last(torch::nn::Module& module, bool on = true);

/// "unet (width 32)", "swinv2-mim (SwinV2 embed 96, depths 2-2-6-2, windows 8-8-8-8)" (for logs).
std::string describe_model(const ModelOptions& options);

/// The number of parameters of a module (for logs).
int64_t parameter_count(const torch::nn::Module& module);

}  // namespace depthguard
