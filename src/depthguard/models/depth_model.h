#pragma once
// A monocular depth network: encoder, decoder, a small convolutional head giving one logit
// per pixel, and the numerics module's DepthHead turning logits into log-depth.
#include <cstdint>
#include <memory>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

#include "depthguard/models/decoders.h"
#include "depthguard/models/model_options.h"
#include "depthguard/models/resnet_encoder.h"
#include "depthguard/numerics/depth_head.h"

namespace depthguard {

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
