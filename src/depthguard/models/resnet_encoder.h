#pragma once
// The ResNet-18 encoder in torchvision's layout and parameter names (conv1, bn1, layer1..4,
// downsample.0/1), so weights converted from torchvision load by name.
#include <cstdint>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include "depthguard/models/feature_encoder.h"
#include "depthguard/models/model_options.h"

namespace depthguard {

class BasicBlockImpl : public torch::nn::Module {
 public:
  BasicBlockImpl(int64_t in_channels, int64_t channels, int64_t stride, NormKind norm = NormKind::Batch);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::Tensor shortcut(const torch::Tensor& x);

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::AnyModule bn1, bn2;  // torchvision's names, whatever the normalisation
  torch::nn::Sequential downsample{nullptr};  // 1x1 conv + normalisation when the shape changes
};
TORCH_MODULE(BasicBlock);

struct ResNetEncoderOptions {
  /// Channels of the stem and the first stage; the stages have width, 2w, 4w, 8w
  /// (64 is ResNet-18 itself).
  TORCH_ARG(int64_t, width) = 64;
  TORCH_ARG(NormKind, norm) = NormKind::Batch;
};

/// Features of an [B, 3, H, W] image at strides 2 (stem, before the max-pool), 4, 8, 16
/// and 32. H and W must be multiples of 32 (the model checks).
class ResNetEncoderImpl : public FeatureEncoderImpl {
 public:
  explicit ResNetEncoderImpl(ResNetEncoderOptions options = {});
  std::vector<torch::Tensor> forward(const torch::Tensor& image) override;
  /// Channels of each feature that forward returns, in the same order.
  std::vector<int64_t> channels() const override;

  ResNetEncoderOptions options;

 private:
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::AnyModule bn1;
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
};
TORCH_MODULE(ResNetEncoder);

}  // namespace depthguard
