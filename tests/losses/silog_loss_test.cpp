#include "depthguard/losses/silog_loss.h"

#include <cmath>
#include <limits>

#include "test_support.h"

namespace depthguard {
namespace {

using testing::all_finite;
using testing::any_nan;
using testing::grad_of;

using testing::kInf;

// SILog of log_pred against gt = 1 (so d = log_pred) with every pixel valid.
testing::ScalarFn silog_of_d(SilogLossOptions options) {
  return [=](const torch::Tensor& d) {
    return silog_loss(d, torch::ones_like(d), torch::ones_like(d, torch::kBool), options).loss;
  };
}

TEST(SilogLoss, HandComputedValue) {
  // d = {0.1, 0.3}: Var = 0.01, mean = 0.2, D = 0.01 + 0.15 * 0.04 = 0.016.
  const auto d = torch::tensor({{0.1, 0.3}}, torch::kDouble);
  const auto gt = torch::ones_like(d);
  const auto mask = torch::ones_like(d, torch::kBool);
  const auto none = silog_loss(d, gt, mask, SilogLossOptions().reduction(SilogReduction::None));
  const auto sqrt = silog_loss(d, gt, mask, SilogLossOptions().reduction(SilogReduction::Sqrt));
  EXPECT_NEAR(none.loss.item<double>(), 0.16, 1e-12);
  EXPECT_NEAR(sqrt.loss.item<double>(), 10 * std::sqrt(0.016), 1e-12);
  EXPECT_NEAR(none.report.item<double>(), 10 * std::sqrt(0.016), 1e-12);
  EXPECT_NEAR(sqrt.report.item<double>(), 10 * std::sqrt(0.016), 1e-12);
  EXPECT_EQ(none.valid_pixels.item<int64_t>(), 2);
  EXPECT_EQ(none.empty_samples.item<int64_t>(), 0);
}

// V1: D = 0 when the prediction equals the ground truth.
TEST(SilogLoss, SqrtGradientIsNaNAtZeroD) {
  const auto d = torch::zeros({2, 1, 4, 4});
  EXPECT_EQ(silog_of_d(SilogLossOptions().reduction(SilogReduction::Sqrt))(d).item<float>(), 0);
  EXPECT_TRUE(any_nan(grad_of(silog_of_d(SilogLossOptions().reduction(SilogReduction::Sqrt)), d)));
  for (const auto reduction : {SilogReduction::None, SilogReduction::SqrtEps}) {
    const auto g = grad_of(silog_of_d(SilogLossOptions().reduction(reduction)), d);
    EXPECT_TRUE(all_finite(g));
  }
}

// V1 with lambda = 1: all d equal gives D = 0 without d being 0.
TEST(SilogLoss, SqrtGradientIsNaNForEqualDWithLambdaOne) {
  const auto d = torch::full({1, 16}, 0.5f);
  const auto sqrt = SilogLossOptions().lambda(1.0).reduction(SilogReduction::Sqrt);
  const auto none = SilogLossOptions().lambda(1.0).reduction(SilogReduction::None);
  EXPECT_TRUE(any_nan(grad_of(silog_of_d(sqrt), d)));
  EXPECT_TRUE(all_finite(grad_of(silog_of_d(none), d)));
}

// V3 inside SILog: one valid pixel with torch.var's unbiased estimator.
TEST(SilogLoss, UnbiasedVarianceIsNaNForOneValidPixel) {
  const auto log_pred = torch::tensor({{0.3f, 0.0f, 0.0f}});
  const auto gt = torch::tensor({{1.0f, 0.0f, 0.0f}});
  const auto mask = gt > 0;
  const auto unbiased = silog_loss(log_pred, gt, mask, SilogLossOptions().variance(VarianceKind::Unbiased));
  EXPECT_TRUE(std::isnan(unbiased.loss.item<float>()));
  const auto population = silog_loss(log_pred, gt, mask, SilogLossOptions());
  EXPECT_NEAR(population.loss.item<float>(), 10 * 0.15 * 0.09, 1e-6);
}

TEST(SilogLoss, NoValidPixelGivesZeroLossZeroGradientAndCountsSamples) {
  const auto log_pred = torch::randn({3, 1, 2, 2});
  const auto gt = torch::zeros({3, 1, 2, 2});
  const auto mask = gt > 0;
  for (const auto& [rname, reduction] : silog_reduction_choices()) {
    for (const auto& [sname, scope] : loss_scope_choices()) {
      for (const auto& [vname, variance] : variance_kind_choices()) {
        const auto opts = SilogLossOptions().reduction(reduction).scope(scope).variance(variance);
        const auto out = silog_loss(log_pred, gt, mask, opts);
        EXPECT_EQ(out.loss.item<float>(), 0) << rname << sname << vname;
        EXPECT_EQ(out.empty_samples.item<int64_t>(), 3);
        EXPECT_EQ(out.valid_pixels.item<int64_t>(), 0);
        const auto g = grad_of([&](const torch::Tensor& p) { return silog_loss(p, gt, mask, opts).loss; },
                               log_pred);
        EXPECT_TRUE(torch::equal(g, torch::zeros_like(g))) << rname << sname << vname;
      }
    }
  }
}

TEST(SilogLoss, PerImageScopeSkipsEmptyImagesEvenWithSqrt) {
  const auto log_pred = torch::tensor({{0.1f, 0.3f}, {0.5f, 0.7f}});
  const auto gt = torch::tensor({{1.0f, 1.0f}, {0.0f, 0.0f}});
  const auto mask = gt > 0;
  const auto opts = SilogLossOptions().scope(LossScope::Image).reduction(SilogReduction::Sqrt);
  const auto out = silog_loss(log_pred, gt, mask, opts);
  EXPECT_NEAR(out.loss.item<float>(), 10 * std::sqrt(0.016), 1e-5);
  EXPECT_EQ(out.empty_samples.item<int64_t>(), 1);
  const auto g = grad_of([&](const torch::Tensor& p) { return silog_loss(p, gt, mask, opts).loss; },
                         log_pred);
  EXPECT_TRUE(all_finite(g));
  EXPECT_TRUE(torch::equal(g[1], torch::zeros({2})));
}

// The dropped group must not even produce a NaN inside the backward graph: anomaly
// detection (and depthguard's forensics, which look for the first non-finite op) would
// otherwise flag a healthy step.
TEST(SilogLoss, EmptyGroupProducesNoNaNInsideBackward) {
  const auto gt = torch::tensor({{1.0f, 1.0f}, {0.0f, 0.0f}});
  const auto log_pred = torch::tensor({{0.1f, 0.3f}, {0.5f, 0.7f}}).requires_grad_(true);
  const auto opts = SilogLossOptions().scope(LossScope::Image).reduction(SilogReduction::Sqrt);
  torch::autograd::DetectAnomalyGuard anomaly_detection;
  EXPECT_NO_THROW(silog_loss(log_pred, gt, gt > 0, opts).loss.backward());
}

TEST(SilogLoss, PerImageScopeAveragesPerImageD) {
  // Image 0: D = 0.016 as above. Image 1: d = {0.2, 0.2}: Var 0, D = 0.15 * 0.04 = 0.006.
  const auto log_pred = torch::tensor({{0.1, 0.3}, {0.2, 0.2}}, torch::kDouble);
  const auto gt = torch::ones_like(log_pred);
  const auto out = silog_loss(log_pred, gt, gt > 0, SilogLossOptions().scope(LossScope::Image));
  EXPECT_NEAR(out.loss.item<double>(), 10 * (0.016 + 0.006) / 2, 1e-12);
  // Batch scope pools all four: mean 0.2, Var = (0.01 + 0.01 + 0 + 0) / 4 = 0.005.
  const auto batch = silog_loss(log_pred, gt, gt > 0, SilogLossOptions());
  EXPECT_NEAR(batch.loss.item<double>(), 10 * (0.005 + 0.006), 1e-12);
}

TEST(SilogLoss, InvalidPixelsReachNeitherValueNorGradient) {
  // Invalid pixels hold what real data holds: gt 0 or NaN, and a prediction of -inf.
  const auto log_pred = torch::tensor({{0.1f, 0.3f, -kInf, 0.2f}});
  const auto gt = torch::tensor({{1.0f, 1.0f, 0.0f, NAN}});
  const auto mask = torch::isfinite(gt) & (gt > 0);
  const auto clean = torch::tensor({{0.1f, 0.3f}});
  for (const auto& [name, variance] : variance_kind_choices()) {
    const auto opts = SilogLossOptions().variance(variance);
    const auto out = silog_loss(log_pred, gt, mask, opts);
    const auto expected = silog_loss(clean, torch::ones_like(clean), clean > 0, opts);
    EXPECT_FLOAT_EQ(out.loss.item<float>(), expected.loss.item<float>()) << name;
    const auto g = grad_of([&](const torch::Tensor& p) { return silog_loss(p, gt, mask, opts).loss; },
                           log_pred);
    EXPECT_TRUE(all_finite(g)) << name;
  }
}

TEST(SilogLoss, NonFiniteValidPredictionPropagates) {
  const auto gt = torch::ones({1, 3});
  for (const float bad : {NAN, kInf, -kInf}) {
    const auto log_pred = torch::tensor({{0.1f, bad, 0.2f}});
    EXPECT_FALSE(std::isfinite(silog_loss(log_pred, gt, gt > 0).loss.item<float>())) << bad;
  }
}

TEST(SilogLoss, ReductionsAgreeWhereFinite) {
  const auto d = torch::randn({2, 1, 8, 8}) * 0.3;
  const auto none = silog_of_d(SilogLossOptions().reduction(SilogReduction::None))(d).item<float>();
  const auto sqrt = silog_of_d(SilogLossOptions().reduction(SilogReduction::Sqrt))(d).item<float>();
  const auto eps = silog_of_d(SilogLossOptions().reduction(SilogReduction::SqrtEps).eps(1e-12))(d);
  EXPECT_NEAR(sqrt, 10 * std::sqrt(none / 10), 1e-5 * sqrt);
  EXPECT_NEAR(eps.item<float>(), sqrt, 1e-5 * sqrt);
  for (const auto& [name, variance] : variance_kind_choices()) {
    const auto v = silog_of_d(SilogLossOptions().variance(variance))(d).item<float>();
    EXPECT_NEAR(v, none, 2e-2 * none) << name;  // unbiased differs by N / (N - 1)
  }
}

TEST(SilogLoss, RejectsMismatchedShapes) {
  EXPECT_THROW(silog_loss(torch::zeros({1, 4}), torch::ones({1, 5}), torch::ones({1, 4}, torch::kBool)),
               c10::Error);
}

}  // namespace
}  // namespace depthguard
