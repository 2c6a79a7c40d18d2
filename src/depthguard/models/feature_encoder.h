#pragma once
// What every encoder of a DepthModel is: an image in, features at growing strides out.
#include <cstdint>
#include <vector>

#include <torch/nn/module.h>
#include <torch/types.h>

namespace depthguard {

class FeatureEncoderImpl : public torch::nn::Module {
 public:
  /// Features of an image [B, 3, H, W] (NCHW), the finest first and the stride-32 one last.
  virtual std::vector<torch::Tensor> forward(const torch::Tensor& image) = 0;
  /// Channels of each feature forward returns, in the same order.
  virtual std::vector<int64_t> channels() const = 0;
};

}  // namespace depthguard
