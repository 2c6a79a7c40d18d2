#include "depthguard/losses/l1_loss.h"

#include <limits>

#include "test_support.h"

namespace depthguard {
namespace {

using testing::all_finite;
using testing::grad_of;

using testing::kInf;

TEST(MaskedL1Loss, HandComputedValueOverValidPixelsOnly) {
  const auto pred = torch::tensor({{1.0f, 2.0f, kInf, NAN}});
  const auto gt = torch::tensor({{1.5f, 4.0f, 0.0f, 0.0f}});
  const auto mask = gt > 0;
  const auto out = masked_l1_loss(pred, gt, mask);
  EXPECT_FLOAT_EQ(out.loss.item<float>(), (0.5f + 2.0f) / 2);
  EXPECT_EQ(out.valid_pixels.item<int64_t>(), 2);
  const auto g = grad_of([&](const torch::Tensor& p) { return masked_l1_loss(p, gt, mask).loss; }, pred);
  EXPECT_TRUE(torch::equal(g, torch::tensor({{-0.5f, -0.5f, 0.0f, 0.0f}})));
}

TEST(MaskedL1Loss, NoValidPixelGivesZeroAndZeroGradient) {
  const auto pred = torch::randn({2, 3});
  const auto gt = torch::zeros({2, 3});
  const auto out = masked_l1_loss(pred, gt, gt > 0);
  EXPECT_EQ(out.loss.item<float>(), 0);
  EXPECT_EQ(out.empty_samples.item<int64_t>(), 2);
  const auto g = grad_of([&](const torch::Tensor& p) { return masked_l1_loss(p, gt, gt > 0).loss; }, pred);
  EXPECT_TRUE(torch::equal(g, torch::zeros_like(pred)));
}

TEST(MaskedL1Loss, OnePixelAndExactMatch) {
  const auto gt = torch::tensor({{2.0f}});
  EXPECT_FLOAT_EQ(masked_l1_loss(torch::tensor({{3.5f}}), gt, gt > 0).loss.item<float>(), 1.5f);
  const auto g = grad_of([&](const torch::Tensor& p) { return masked_l1_loss(p, gt, gt > 0).loss; },
                         torch::tensor({{2.0f}}));
  EXPECT_EQ(g.item<float>(), 0.0f);
}

TEST(MaskedL1Loss, NonFiniteValidPredictionPropagates) {
  const auto gt = torch::ones({1, 2});
  EXPECT_TRUE(std::isnan(masked_l1_loss(torch::tensor({{1.0f, NAN}}), gt, gt > 0).loss.item<float>()));
  EXPECT_TRUE(std::isinf(masked_l1_loss(torch::tensor({{1.0f, kInf}}), gt, gt > 0).loss.item<float>()));
}

TEST(MaskedL1Loss, ZeroSizedBatch) {
  const auto e = torch::empty({0, 1, 4, 4});
  const auto out = masked_l1_loss(e, e, e > 0);
  EXPECT_EQ(out.loss.item<float>(), 0);
  EXPECT_EQ(out.empty_samples.item<int64_t>(), 0);
}

}  // namespace
}  // namespace depthguard
