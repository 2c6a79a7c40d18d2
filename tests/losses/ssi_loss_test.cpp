#include "depthguard/losses/ssi_loss.h"

#include "test_support.h"

namespace depthguard {
namespace {

using testing::all_finite;
using testing::grad_of;

const auto kDataOnly = SsiLossOptions().gradient_weight(0);

TEST(SsiLoss, RecoversScaleAndShiftAndGivesZeroForAnAffinePrediction) {
  const auto target = torch::rand({2, 1, 4, 5}, torch::kDouble) + 1;
  const auto pred = 2 * target + 1;
  const auto mask = torch::ones_like(target, torch::kBool);
  const auto fit = align_scale_shift(pred, target, mask);
  EXPECT_TRUE(torch::allclose(fit.scale, torch::full({2}, 0.5, torch::kDouble)));
  EXPECT_TRUE(torch::allclose(fit.shift, torch::full({2}, -0.5, torch::kDouble)));
  EXPECT_NEAR(ssi_loss(pred, target, mask).loss.item<double>(), 0.0, 1e-12);
}

TEST(SsiLoss, HandComputedDataTerm) {
  // pred {0, 1, 2}, target {0, 2, 1}: s = cov / var = 0.5, t = 0.5; aligned {0.5, 1, 1.5};
  // residuals {0.5, -1, 0.5}; sum of squares 1.5, over 2N = 6.
  const auto pred = torch::tensor({0.0, 1.0, 2.0}, torch::kDouble).reshape({1, 3});
  const auto target = torch::tensor({0.0, 2.0, 1.0}, torch::kDouble).reshape({1, 3});
  const auto mask = torch::ones_like(pred, torch::kBool);
  EXPECT_NEAR(ssi_loss(pred.reshape({1, 1, 1, 3}), target.reshape({1, 1, 1, 3}),
                       mask.reshape({1, 1, 1, 3}), kDataOnly)
                  .loss.item<double>(),
              0.25, 1e-12);
}

TEST(SsiLoss, NoValidPixelGivesZeroAndZeroGradient) {
  const auto pred = torch::randn({2, 1, 3, 3});
  const auto target = torch::rand({2, 1, 3, 3});
  const auto none = torch::zeros_like(pred, torch::kBool);
  EXPECT_EQ(ssi_loss(pred, target, none).loss.item<float>(), 0.0f);
  EXPECT_TRUE(torch::equal(
      grad_of([&](const torch::Tensor& p) { return ssi_loss(p, target, none).loss; }, pred),
      torch::zeros_like(pred)));
}

TEST(SsiLoss, OneValidPixelFitsExactly) {
  const auto pred = torch::randn({1, 1, 2, 2});
  const auto target = torch::rand({1, 1, 2, 2});
  auto mask = torch::zeros_like(pred, torch::kBool);
  mask[0][0][1][0] = true;
  EXPECT_EQ(ssi_loss(pred, target, mask).loss.item<float>(), 0.0f);
  EXPECT_TRUE(all_finite(grad_of([&](const torch::Tensor& p) { return ssi_loss(p, target, mask).loss; }, pred)));
}

TEST(SsiLoss, ConstantPredictionGivesTargetVarianceWithZeroGradient) {
  // A float32 constant whose mean is not exactly representable after summation.
  const auto pred = torch::full({1, 1, 10, 100}, 0.1f);
  const auto target = torch::rand({1, 1, 10, 100});
  const auto mask = torch::ones_like(pred, torch::kBool);
  const auto loss = ssi_loss(pred, target, mask, kDataOnly).loss.item<float>();
  EXPECT_NEAR(loss, target.var(/*unbiased=*/false).item<float>() / 2, 1e-6);
  const auto g = grad_of([&](const torch::Tensor& p) { return ssi_loss(p, target, mask).loss; }, pred);
  EXPECT_TRUE(torch::equal(g, torch::zeros_like(g)));
}

TEST(SsiLoss, NaNAtValidPixelPropagates) {
  auto pred = torch::rand({1, 1, 2, 2});
  pred[0][0][0][0] = NAN;
  const auto target = torch::rand({1, 1, 2, 2});
  EXPECT_TRUE(std::isnan(ssi_loss(pred, target, torch::ones_like(pred, torch::kBool)).loss.item<float>()));
}

}  // namespace
}  // namespace depthguard
