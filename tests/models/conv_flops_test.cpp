#include "depthguard/models/conv_flops.h"

#include "test_support.h"

namespace depthguard {
namespace {

TEST(ConvolutionFlops, PlainConvolutionCountsTwoPerMultiplyAdd) {
  const auto x = torch::randn({2, 3, 16, 16});
  const auto w = torch::randn({8, 3, 3, 3});
  EXPECT_EQ(convolution_flops([&] { torch::conv2d(x, w, {}, 1, 1); }), 2.0 * (2 * 8 * 16 * 16) * (3 * 9));
}

TEST(ConvolutionFlops, StrideAndNoPaddingShrinkTheOutput) {
  const auto x = torch::randn({1, 2, 17, 17});
  const auto w = torch::randn({4, 2, 3, 3});
  EXPECT_EQ(convolution_flops([&] { torch::conv2d(x, w, {}, 2, std::vector<int64_t>{0, 0}); }), 2.0 * (4 * 8 * 8) * (2 * 9));
}

TEST(ConvolutionFlops, GroupsAndTransposedConvolutions) {
  const auto x = torch::randn({1, 8, 10, 10});
  const auto depthwise = torch::randn({8, 1, 3, 3});
  EXPECT_EQ(convolution_flops([&] { torch::conv2d(x, depthwise, {}, 1, 1, 1, 8); }), 2.0 * 800 * 9);
  const auto y = torch::randn({1, 4, 5, 5});
  const auto up = torch::randn({4, 2, 2, 2});  // [Cin, Cout, kh, kw]
  EXPECT_EQ(convolution_flops([&] { torch::conv_transpose2d(y, up, {}, 2); }), 2.0 * 100 * (2 * 2 * 2));
}

TEST(ConvolutionFlops, EdgesNothingRunAndOtherOperators) {
  EXPECT_EQ(convolution_flops([] {}), 0.0);
  EXPECT_EQ(convolution_flops([] { torch::mm(torch::randn({4, 4}), torch::randn({4, 4})); }), 0.0);
  const auto empty = torch::randn({0, 3, 8, 8});
  EXPECT_EQ(convolution_flops([&] { torch::conv2d(empty, torch::randn({2, 3, 3, 3}), {}, 1, 1); }), 0.0);
  EXPECT_THROW(convolution_flops([] { throw std::runtime_error("x"); }), std::runtime_error);
  EXPECT_EQ(convolution_flops([] {}), 0.0);  // a throwing run leaves no callback behind
}

}  // namespace
}  // namespace depthguard
