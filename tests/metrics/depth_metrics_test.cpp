#include "depthguard/metrics/depth_metrics.h"

#include <cmath>
#include <limits>

#include "depthguard/core/errors.h"
#include "test_support.h"

namespace depthguard {
namespace {

using testing::kInf64;
using testing::kNaN64;

TEST(DepthMetrics, HandComputedTwoPixels) {
  // gt {2, 4}, pred {1, 4}; a third pixel has gt 0 and is invalid.
  const auto gt = torch::tensor({{2.0, 4.0, 0.0}});
  const auto pred = torch::tensor({{1.0, 4.0, 7.0}});
  const auto r = evaluate_image(pred, gt, EvalOptions());
  ASSERT_TRUE(r.has_value());
  const double ln2 = std::log(2.0);
  const auto& m = r->metrics;
  EXPECT_DOUBLE_EQ(m.abs_rel, 0.25);
  EXPECT_DOUBLE_EQ(m.sq_rel, 0.25);
  EXPECT_DOUBLE_EQ(m.rmse, std::sqrt(0.5));
  EXPECT_NEAR(m.rmse_log, ln2 / std::sqrt(2.0), 1e-15);
  EXPECT_NEAR(m.log10, std::log10(2.0) / 2, 1e-15);
  EXPECT_NEAR(m.silog, 100 * ln2 / 2, 1e-12);
  EXPECT_DOUBLE_EQ(m.d1, 0.5);
  EXPECT_DOUBLE_EQ(m.d2, 0.5);
  EXPECT_DOUBLE_EQ(m.d3, 0.5);
  EXPECT_EQ(r->valid_pixels, 2);
  EXPECT_EQ(r->nonfinite_predictions, 0);
}

TEST(DepthMetrics, ThresholdsAreStrict) {
  // max(g/p, p/g) = 1.25 exactly is not below 1.25.
  const auto r = evaluate_image(torch::tensor({{5.0}}), torch::tensor({{4.0}}), EvalOptions());
  EXPECT_EQ(r->metrics.d1, 0.0);
  EXPECT_EQ(r->metrics.d2, 1.0);
}

TEST(DepthMetrics, NonFinitePredictionsAreClampedAndCounted) {
  // min 1, max 10: NaN -> 1, +inf -> 10, -inf -> 1; abs_rel = (1/2 + 6/4 + 0 + 2/2) / 4.
  const auto gt = torch::tensor({{2.0, 4.0, 5.0, 2.0}});
  const auto pred = torch::tensor({{kNaN64, kInf64, 5.0, -kInf64}});
  const auto r = evaluate_image(pred, gt, EvalOptions().min_depth(1).max_depth(10));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->nonfinite_predictions, 3);
  EXPECT_DOUBLE_EQ(r->metrics.abs_rel, (0.5 + 1.5 + 0.0 + 0.5) / 4);
  for (const auto& [name, value] : metric_fields(r->metrics)) EXPECT_TRUE(std::isfinite(value)) << name;
}

TEST(DepthMetrics, GroundTruthBoundsAreExclusive) {
  const auto gt = torch::tensor({{1.0, 10.0, 5.0}});
  const auto r = evaluate_image(torch::full({1, 3}, 5.0), gt, EvalOptions().min_depth(1).max_depth(10));
  EXPECT_EQ(r->valid_pixels, 1);
}

TEST(DepthMetrics, OnePixelHasZeroSilog) {
  const auto r = evaluate_image(torch::tensor({{3.0}}), torch::tensor({{2.0}}), EvalOptions());
  EXPECT_EQ(r->metrics.silog, 0.0);
  EXPECT_DOUBLE_EQ(r->metrics.abs_rel, 0.5);
}

TEST(DepthMetrics, NoValidPixelGivesNullopt) {
  EXPECT_FALSE(evaluate_image(torch::ones({4, 4}), torch::zeros({4, 4}), EvalOptions()).has_value());
  EXPECT_FALSE(evaluate_image(torch::ones({0, 4}), torch::ones({0, 4}), EvalOptions()).has_value());
  EXPECT_FALSE(evaluate_image(torch::ones({4, 4}), torch::full({4, 4}, kNaN64), EvalOptions()).has_value());
}

TEST(DepthMetrics, NyuEigenCropExcludesTheBorder) {
  // Ground truth only outside the crop: nothing to evaluate. One pixel inside: evaluated.
  auto gt = torch::full({480, 640}, 3.0);
  gt.slice(0, 45, 471).slice(1, 41, 601).fill_(0.0);
  const auto opts = EvalOptions().crop(EvalCrop::EigenNyu);
  EXPECT_FALSE(evaluate_image(torch::full({480, 640}, 3.0), gt, opts).has_value());
  gt[45][41] = 2.0;
  const auto r = evaluate_image(torch::full({480, 640}, 3.0), gt, opts);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->valid_pixels, 1);
  EXPECT_DOUBLE_EQ(r->metrics.abs_rel, 0.5);
}

TEST(DepthMetrics, AcceptsLeadingUnitDimensionsAndRejectsSizeMismatch) {
  const auto r = evaluate_image(torch::full({1, 1, 2, 2}, 2.0), torch::full({2, 2}, 2.0), EvalOptions());
  EXPECT_EQ(r->metrics.abs_rel, 0.0);
  EXPECT_THROW(evaluate_image(torch::ones({2, 3}), torch::ones({3, 2}), EvalOptions()), c10::Error);
}

TEST(DepthMetrics, RejectsBadBounds) {
  const auto message = testing::error_message<InvalidArgument>(
      [] { evaluate_image(torch::ones({2, 2}), torch::ones({2, 2}), EvalOptions().min_depth(0)); });
  EXPECT_NE(message.find("0 < min_depth < max_depth"), std::string::npos) << message;
  EXPECT_THROW(evaluate_image(torch::ones({2, 2}), torch::ones({2, 2}),
                              EvalOptions().min_depth(5).max_depth(1)),
               InvalidArgument);
}

TEST(MetricsAverage, MeansOverImagesAndCountsSkipped) {
  MetricsAverage avg;
  avg.add(evaluate_image(torch::tensor({{1.0}}), torch::tensor({{2.0}}), EvalOptions()));  // abs_rel .5
  avg.add(evaluate_image(torch::tensor({{2.0}}), torch::tensor({{2.0}}), EvalOptions()));  // abs_rel 0
  avg.add(evaluate_image(torch::tensor({{kNaN64}}), torch::tensor({{0.0}}), EvalOptions()));  // skipped
  EXPECT_EQ(avg.images(), 2);
  EXPECT_EQ(avg.skipped(), 1);
  ASSERT_TRUE(avg.mean().has_value());
  EXPECT_DOUBLE_EQ(avg.mean()->abs_rel, 0.25);
  EXPECT_DOUBLE_EQ(avg.mean()->d1, 0.5);
}

TEST(MetricsAverage, NoImageWithValidGroundTruthHasNoMetricsNotZeros) {
  EXPECT_FALSE(MetricsAverage().mean().has_value());  // N = 0
  MetricsAverage all_invalid;
  all_invalid.add(evaluate_image(torch::tensor({{1.0}}), torch::tensor({{0.0}}), EvalOptions()));
  EXPECT_EQ(all_invalid.skipped(), 1);
  EXPECT_FALSE(all_invalid.mean().has_value());
}

TEST(MetricsAverage, FieldsInReferenceOrder) {
  std::vector<std::string> names;
  for (const auto& [name, value] : metric_fields(DepthMetrics())) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"abs_rel", "sq_rel", "rmse", "rmse_log", "log10",
                                             "silog", "d1", "d2", "d3"}));
}

}  // namespace
}  // namespace depthguard
