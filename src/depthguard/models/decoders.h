#pragma once
// Decoders: encoder features in, a feature map at input resolution out.
#include <cstdint>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>

#include "depthguard/models/model_options.h"

namespace depthguard {

class DecoderImpl : public torch::nn::Module {
 public:
  /// `features` at strides 2, 4, 8, 16, 32 as ResNetEncoder returns them; the result has
  /// out_channels() channels at stride 1 (twice the first feature's size).
  virtual torch::Tensor forward(const std::vector<torch::Tensor>& features) = 0;
  virtual int64_t out_channels() const = 0;
};

/// The MIM/GLPDepth decoder: only the stride-32 feature, three ConvTranspose2d (kernel 2,
/// stride 2, 32 channels, no bias) each with BN and ReLU, a 3x3 convolution to
/// `out_channels` with BN and ReLU, and x4 bilinear upsampling: in one step (resnet18-mim,
/// as bench/peer's PyTorch model) or, as MIM's own decoder, in two x2 steps
/// (`two_steps`). Convolutions start from normal(0, 0.001) as MIM's.
class MimDecoderImpl : public DecoderImpl {
 public:
  explicit MimDecoderImpl(int64_t in_channels, NormKind norm = NormKind::Batch, int64_t out_channels = 64,
                          bool two_steps = false);
  torch::Tensor forward(const std::vector<torch::Tensor>& features) override;
  int64_t out_channels() const override { return out_channels_; }

 private:
  torch::nn::Sequential deconv_layers{nullptr}, conv_layers{nullptr};
  int64_t out_channels_;
  bool two_steps_;
};

/// A U-Net decoder: from the stride-32 feature, each step upsamples by 2 (bilinear),
/// concatenates the encoder feature of that stride and applies a 3x3 convolution with BN
/// and ReLU; a last step reaches full resolution with max(channels[0] / 2, 8) channels.
class UnetDecoderImpl : public DecoderImpl {
 public:
  /// `channels`: those of the encoder's features, stride 2 first.
  explicit UnetDecoderImpl(const std::vector<int64_t>& channels, NormKind norm = NormKind::Batch);
  torch::Tensor forward(const std::vector<torch::Tensor>& features) override;
  int64_t out_channels() const override { return out_channels_; }

 private:
  std::vector<torch::nn::Sequential> fuse_;  // stride 16, 8, 4, 2, then 1
  int64_t out_channels_;
};

}  // namespace depthguard
