#include "depthguard/losses/berhu_loss.h"

#include <limits>

#include "test_support.h"

namespace depthguard {
namespace {

using testing::all_finite;
using testing::grad_of;

TEST(BerhuLoss, HandComputedValue) {
  // r = {0.1, 1.0}: c = 0.2; 0.1 is linear, 1.0 gives (1 + 0.04) / 0.4 = 2.6.
  const auto pred = torch::tensor({{1.1, 3.0, 9.0}}, torch::kDouble);
  const auto gt = torch::tensor({{1.0, 2.0, 0.0}}, torch::kDouble);
  const auto out = berhu_loss(pred, gt, gt > 0);
  EXPECT_NEAR(out.loss.item<double>(), (0.1 + 2.6) / 2, 1e-12);
}

TEST(BerhuLoss, AllResidualsZeroGivesZeroWithFiniteGradient) {
  const auto gt = torch::tensor({{1.0f, 2.0f, 3.0f}});
  const auto out = berhu_loss(gt.clone(), gt, gt > 0);
  EXPECT_EQ(out.loss.item<float>(), 0.0f);
  const auto g = grad_of([&](const torch::Tensor& p) { return berhu_loss(p, gt, gt > 0).loss; }, gt);
  EXPECT_TRUE(torch::equal(g, torch::zeros_like(g)));
}

TEST(BerhuLoss, NoValidPixelAndOnePixel) {
  const auto gt = torch::zeros({2, 4});
  const auto pred = torch::randn({2, 4});
  EXPECT_EQ(berhu_loss(pred, gt, gt > 0).loss.item<float>(), 0.0f);
  EXPECT_TRUE(torch::equal(
      grad_of([&](const torch::Tensor& p) { return berhu_loss(p, gt, gt > 0).loss; }, pred),
      torch::zeros_like(pred)));
  // One pixel: r = c / 0.2 > c, so the quadratic branch: (r^2 + c^2) / 2c = 2.6 r.
  const auto one = torch::tensor({{2.0f}});
  EXPECT_NEAR(berhu_loss(torch::tensor({{3.0f}}), one, one > 0).loss.item<float>(), 2.6f, 1e-6);
}

TEST(BerhuLoss, NaNResidualPropagates) {
  const auto gt = torch::ones({1, 2});
  EXPECT_TRUE(std::isnan(berhu_loss(torch::tensor({{1.0f, NAN}}), gt, gt > 0).loss.item<float>()));
}

}  // namespace
}  // namespace depthguard
