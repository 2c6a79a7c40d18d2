// The convolution shape oneDNN issue #6035 computes wrong is told apart from
// every shape next to it, and the safe convolution gives float64's gradients on it (the
// suite's Avx2Kernels entry runs this under ONEDNN_MAX_CPU_ISA=AVX2 too).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "depthguard/models/onednn_safe_conv.h"

namespace depthguard {
namespace {

torch::nn::Conv2d conv(int64_t in, int64_t kernel, int64_t stride, bool channels_last) {
  torch::nn::Conv2d c(torch::nn::Conv2dOptions(in, 2 * in, kernel).stride(stride).bias(false));
  if (channels_last) c->weight.set_data(c->weight.contiguous(torch::MemoryFormat::ChannelsLast));
  return c;
}

torch::Tensor input(int64_t in, bool channels_last) {
  auto x = torch::randn({2, in, 16, 16});
  return channels_last ? x.contiguous(torch::MemoryFormat::ChannelsLast) : x;
}

TEST(OnednnSafeConv, OnlyTheAffectedShapeIsRerouted) {
  EXPECT_TRUE(hits_onednn_6035(*conv(6, 1, 2, true), input(6, true)));
  EXPECT_TRUE(hits_onednn_6035(*conv(3, 1, 3, true), input(3, true)));       // stride 3
  // One channel: channels-last and NCHW are the same memory, which the kernel computes right.
  EXPECT_FALSE(hits_onednn_6035(*conv(1, 1, 2, true), input(1, true)));
  EXPECT_TRUE(hits_onednn_6035(*conv(6, 1, 2, false), input(6, true)));      // the input alone channels-last
  EXPECT_TRUE(hits_onednn_6035(*conv(8, 1, 2, true), input(8, true)));       // 8-15: wrong on AVX-512 kernels
  EXPECT_FALSE(hits_onednn_6035(*conv(16, 1, 2, true), input(16, true)));    // 16 channels: right on both
  EXPECT_FALSE(hits_onednn_6035(*conv(6, 1, 1, true), input(6, true)));      // stride 1
  EXPECT_FALSE(hits_onednn_6035(*conv(6, 3, 2, true), input(6, true)));      // 3x3
  EXPECT_FALSE(hits_onednn_6035(*conv(6, 1, 2, false), input(6, false)));    // NCHW
}

TEST(OnednnSafeConv, GivesFloat64sGradientsInTheInputsLayout) {
  torch::manual_seed(0);
  auto c = conv(6, 1, 2, true);
  const auto x = input(6, true).requires_grad_();
  const auto y = onednn_safe_conv(*c, x);
  EXPECT_TRUE(y.is_contiguous(torch::MemoryFormat::ChannelsLast));
  y.square().mean().backward();
  const auto w = c->weight.detach().to(torch::kDouble).requires_grad_();
  const auto xd = x.detach().to(torch::kDouble).requires_grad_();
  const auto ref = torch::conv2d(xd, w, {}, 2);
  EXPECT_TRUE(torch::allclose(y.to(torch::kDouble), ref, 1e-5, 1e-6));
  ref.square().mean().backward();
  const auto dw = c->weight.grad().to(torch::kDouble), dx = x.grad().to(torch::kDouble);
  EXPECT_LT(((dw - w.grad()).abs().max() / w.grad().abs().max()).item<double>(), 1e-5);
  EXPECT_LT(((dx - xd.grad()).abs().max() / xd.grad().abs().max()).item<double>(), 1e-5);
}

}  // namespace
}  // namespace depthguard
