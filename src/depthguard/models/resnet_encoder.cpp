#include "depthguard/models/resnet_encoder.h"

#include <torch/torch.h>

#include "depthguard/guard/op_scope.h"
#include "depthguard/models/normalization.h"
#include "depthguard/models/onednn_safe_conv.h"

namespace depthguard {

namespace {

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false));
}

torch::nn::Sequential stage(int64_t in, int64_t channels, int64_t stride, NormKind norm) {
  return torch::nn::Sequential(BasicBlock(in, channels, stride, norm), BasicBlock(channels, channels, 1, norm));
}

}  // namespace

BasicBlockImpl::BasicBlockImpl(int64_t in_channels, int64_t channels, int64_t stride, NormKind norm)
    : conv1(register_module("conv1", conv(in_channels, channels, 3, stride))),
      conv2(register_module("conv2", conv(channels, channels, 3, 1))),
      bn1(normalization(norm, channels)),
      bn2(normalization(norm, channels)) {
  register_module("bn1", bn1.ptr());
  register_module("bn2", bn2.ptr());
  if (stride != 1 || in_channels != channels) {
    downsample = torch::nn::Sequential(conv(in_channels, channels, 1, stride));
    downsample->push_back(normalization(norm, channels));
    register_module("downsample", downsample);
  }
}

torch::Tensor BasicBlockImpl::forward(const torch::Tensor& x) {
  // In-place ReLUs (as torchvision's): no extra activation-sized buffers.
  auto out = bn1.forward(conv1(x)).relu_();
  out = bn2.forward(conv2(out));
  return (out + (downsample ? shortcut(x) : x)).relu_();
}

// downsample(x), its 1x1 convolution clear of oneDNN issue #6035 (narrow encoders: width < 8).
torch::Tensor BasicBlockImpl::shortcut(const torch::Tensor& x) {
  const auto first = downsample->begin();
  return (first + 1)->forward(onednn_safe_conv(*first->get<torch::nn::Conv2d>(), x));
}

ResNetEncoderImpl::ResNetEncoderImpl(ResNetEncoderOptions options_) : options(options_) {
  const int64_t w = options.width();
  TORCH_CHECK(w >= 1, "ResNetEncoder: width must be >= 1, got ", w);
  conv1 = register_module("conv1", conv(3, w, 7, 2));
  bn1 = normalization(options.norm(), w);
  register_module("bn1", bn1.ptr());
  layer1 = register_module("layer1", stage(w, w, 1, options.norm()));
  layer2 = register_module("layer2", stage(w, 2 * w, 2, options.norm()));
  layer3 = register_module("layer3", stage(2 * w, 4 * w, 2, options.norm()));
  layer4 = register_module("layer4", stage(4 * w, 8 * w, 2, options.norm()));
  // torchvision's initialisation: He (fan-out) for convolutions, BN as identity.
  for (auto& m : modules(/*include_self=*/false)) {
    if (auto* c = m->as<torch::nn::Conv2d>()) {
      torch::nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
    } else if (auto* b = m->as<torch::nn::BatchNorm2d>()) {
      torch::nn::init::ones_(b->weight);
      torch::nn::init::zeros_(b->bias);
    }
  }
}

std::vector<torch::Tensor> ResNetEncoderImpl::forward(const torch::Tensor& image) {
  const auto stem = scoped("stem", [&] { return bn1.forward(conv1(image)).relu_(); });
  const auto f4 = scoped("layer1", [&] { return layer1->forward(torch::max_pool2d(stem, 3, 2, 1)); });
  const auto f8 = scoped("layer2", [&] { return layer2->forward(f4); });
  const auto f16 = scoped("layer3", [&] { return layer3->forward(f8); });
  return {stem, f4, f8, f16, scoped("layer4", [&] { return layer4->forward(f16); })};
}

std::vector<int64_t> ResNetEncoderImpl::channels() const {
  const int64_t w = options.width();
  return {w, w, 2 * w, 4 * w, 8 * w};
}

}  // namespace depthguard
