#include "depthguard/models/decoders.h"

#include <torch/torch.h>

#include "depthguard/models/normalization.h"

namespace depthguard {

namespace {

namespace F = torch::nn::functional;

torch::nn::Sequential conv_bn_relu(int64_t in, int64_t out, bool bias, NormKind norm) {
  torch::nn::Sequential layers(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1).bias(bias)));
  layers->push_back(normalization(norm, out));
  layers->push_back(torch::nn::ReLU(torch::nn::ReLUOptions(true)));
  return layers;
}

torch::Tensor upsample_to(const torch::Tensor& x, int64_t height, int64_t width) {
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .size(std::vector<int64_t>{height, width})
                               .mode(torch::kBilinear)
                               .align_corners(false));
}

}  // namespace

MimDecoderImpl::MimDecoderImpl(int64_t in_channels, NormKind norm, int64_t out_channels, bool two_steps)
    : out_channels_(out_channels), two_steps_(two_steps) {
  deconv_layers = register_module("deconv_layers", torch::nn::Sequential());
  for (int64_t i = 0; i < 3; ++i) {
    deconv_layers->push_back(torch::nn::ConvTranspose2d(
        torch::nn::ConvTranspose2dOptions(i == 0 ? in_channels : 32, 32, 2).stride(2).bias(false)));
    deconv_layers->push_back(normalization(norm, 32));
    deconv_layers->push_back(torch::nn::ReLU(torch::nn::ReLUOptions(true)));
  }
  conv_layers = register_module("conv_layers", conv_bn_relu(32, out_channels, true, norm));
  torch::NoGradGuard no_grad;
  for (auto& p : named_parameters()) {
    const bool conv_weight = p.key().find("weight") != std::string::npos && p.value().dim() == 4;
    if (conv_weight) p.value().normal_(0.0, 0.001);
    else if (p.value().dim() == 1 && p.key().find("bias") != std::string::npos) p.value().zero_();
  }
}

torch::Tensor MimDecoderImpl::forward(const std::vector<torch::Tensor>& features) {
  const auto out = conv_layers->forward(deconv_layers->forward(features.back()));
  if (!two_steps_) return upsample_to(out, out.size(2) * 4, out.size(3) * 4);
  const auto half = upsample_to(out, out.size(2) * 2, out.size(3) * 2);
  return upsample_to(half, half.size(2) * 2, half.size(3) * 2);
}

UnetDecoderImpl::UnetDecoderImpl(const std::vector<int64_t>& channels, NormKind norm)
    : out_channels_(std::max<int64_t>(channels.front() / 2, 8)) {
  TORCH_CHECK(channels.size() == 5, "UnetDecoder: expected 5 feature channel counts");
  int64_t in = channels.back();
  for (int i = 3; i >= 0; --i) {
    fuse_.push_back(register_module("fuse" + std::to_string(i), conv_bn_relu(in + channels[i], channels[i], false, norm)));
    in = channels[i];
  }
  fuse_.push_back(register_module("fuse_full", conv_bn_relu(in, out_channels_, false, norm)));
}

torch::Tensor UnetDecoderImpl::forward(const std::vector<torch::Tensor>& features) {
  auto x = features.back();
  for (int i = 3; i >= 0; --i) {
    const auto& skip = features[static_cast<size_t>(i)];
    x = fuse_[static_cast<size_t>(3 - i)]->forward(torch::cat({upsample_to(x, skip.size(2), skip.size(3)), skip}, 1));
  }
  return fuse_.back()->forward(upsample_to(x, x.size(2) * 2, x.size(3) * 2));
}

}  // namespace depthguard
