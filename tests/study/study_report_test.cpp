#include "depthguard/study/study_report.h"

#include <gtest/gtest.h>

#include "depthguard/metrics/depth_metrics.h"
#include "depthguard/study/run_result.h"

namespace depthguard {
namespace {

RunResult result(const std::string& variant, int64_t seed, std::optional<int64_t> nan_step, const std::string& cause,
                 std::optional<double> abs_rel) {
  RunResult r;
  r.run = {variant, "none", seed, variant + "--none--seed" + std::to_string(seed)};
  r.status = nan_step ? "halted" : "completed";
  r.nonfinite_step = nan_step;
  r.cause = cause;
  if (abs_rel) {
    r.metrics = DepthMetrics();
    r.metrics->abs_rel = *abs_rel;
  }
  return r;
}

TEST(StudyReport, RatesStepsCausesAndMetricsPerArm) {
  const std::vector<RunResult> results{
      result("baseline", 0, 4, "v3_variance", 0.5),  result("baseline", 1, 10, "v1_sqrt", std::nullopt),
      result("baseline", 2, 7, "v3_variance", 0.3),  result("baseline", 3, std::nullopt, "", 0.4),
      result("guidelines", 0, std::nullopt, "", 0.2)};
  const auto arms = summarize_study(results);
  ASSERT_EQ(arms.size(), 2U);
  const auto& b = arms[0];
  EXPECT_EQ(b.variant, "baseline");
  EXPECT_EQ(b.runs, 4);
  EXPECT_EQ(b.nonfinite, 3);
  EXPECT_EQ(*b.median_first_step, 7.0);
  EXPECT_EQ(b.causes.at("v3_variance"), 2);
  EXPECT_EQ(b.causes.at("v1_sqrt"), 1);
  EXPECT_EQ(b.abs_rel->n, 3);  // the run without metrics is left out
  EXPECT_NEAR(b.abs_rel->mean, 0.4, 1e-12);
  EXPECT_NEAR(b.abs_rel->std, 0.1, 1e-12);
  const auto& g = arms[1];
  EXPECT_EQ(g.nonfinite, 0);
  EXPECT_FALSE(g.median_first_step);
  EXPECT_EQ(g.abs_rel->n, 1);
  EXPECT_EQ(g.abs_rel->std, 0.0);  // N = 1
  EXPECT_EQ(g.rate.low, 0.0);
  const auto md = study_markdown(arms);
  EXPECT_NE(md.find("| baseline | none | 4 | 3 | 0.75 ["), std::string::npos) << md;
  EXPECT_NE(md.find("v1_sqrt 1, v3_variance 2"), std::string::npos) << md;
}

TEST(StudyReport, AnArmWithoutMetricsShowsADash) {
  const auto arms = summarize_study({result("baseline", 0, 0, "v2_log_sigmoid", std::nullopt)});
  EXPECT_FALSE(arms[0].abs_rel);
  EXPECT_NE(study_markdown(arms).find("| - |"), std::string::npos);
}

}  // namespace
}  // namespace depthguard
