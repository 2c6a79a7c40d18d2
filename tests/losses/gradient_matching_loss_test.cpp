#include "depthguard/losses/gradient_matching_loss.h"

#include <limits>

#include "test_support.h"

namespace depthguard {
namespace {

using testing::grad_of;

using testing::kInf64;

TEST(GradientMatchingLoss, HandComputedTwoScales) {
  // One row, R = {0, 1, 3}. Scale 0: |1| + |2| over 3 pixels = 1. Scale 1 keeps columns
  // 0 and 2: |3| over 2 pixels = 1.5.
  const auto pred = torch::tensor({0.0, 1.0, 3.0}, torch::kDouble).reshape({1, 1, 1, 3});
  const auto target = torch::zeros_like(pred);
  const auto mask = torch::ones_like(pred, torch::kBool);
  const auto opts = GradientMatchingLossOptions().scales(2);
  EXPECT_NEAR(gradient_matching_loss(pred, target, mask, opts).loss.item<double>(), 2.5, 1e-12);
  EXPECT_NEAR(gradient_matching_loss(pred, target, mask, GradientMatchingLossOptions().scales(1)).loss.item<double>(), 1.0,
              1e-12);
}

TEST(GradientMatchingLoss, PairsWithAnInvalidPixelAreSkipped) {
  const auto pred = torch::tensor({0.0, 1.0, kInf64, 3.0}, torch::kDouble).reshape({1, 1, 2, 2});
  const auto target = torch::zeros_like(pred);
  const auto mask = torch::tensor({true, true, false, true}).reshape({1, 1, 2, 2});
  // Valid pairs: (0,0)-(0,1) in x: |1|; (0,1)-(1,1) in y: |2|. Three valid pixels.
  const auto out = gradient_matching_loss(pred, target, mask, GradientMatchingLossOptions().scales(1));
  EXPECT_NEAR(out.loss.item<double>(), 1.0, 1e-12);
  const auto g = grad_of(
      [&](const torch::Tensor& p) { return gradient_matching_loss(p, target, mask).loss; }, pred);
  EXPECT_TRUE(testing::all_finite(g));
}

TEST(GradientMatchingLoss, NoValidPixelOrNoPairGivesZero) {
  const auto pred = torch::randn({2, 1, 3, 3});
  const auto target = torch::zeros_like(pred);
  const auto none = torch::zeros_like(pred, torch::kBool);
  EXPECT_EQ(gradient_matching_loss(pred, target, none).loss.item<float>(), 0.0f);
  EXPECT_TRUE(torch::equal(
      grad_of([&](const torch::Tensor& p) { return gradient_matching_loss(p, target, none).loss; }, pred),
      torch::zeros_like(pred)));
  auto one = none.clone();
  one[0][0][1][1] = true;
  EXPECT_EQ(gradient_matching_loss(pred, target, one).loss.item<float>(), 0.0f);
}

TEST(GradientMatchingLoss, ImagesSmallerThanCoarseScales) {
  const auto pred = torch::randn({1, 1, 1, 1});
  const auto out = gradient_matching_loss(pred, torch::zeros_like(pred), torch::ones_like(pred, torch::kBool));
  EXPECT_EQ(out.loss.item<float>(), 0.0f);
}

TEST(GradientMatchingLoss, NaNResidualWithValidNeighbourPropagates) {
  const auto pred = torch::tensor({1.0f, NAN}).reshape({1, 1, 1, 2});
  const auto out = gradient_matching_loss(pred, torch::zeros_like(pred), torch::ones_like(pred, torch::kBool));
  EXPECT_TRUE(std::isnan(out.loss.item<float>()));
}

}  // namespace
}  // namespace depthguard
