#include "depthguard/optim/lr_schedule.h"

#include <cmath>

#include <gtest/gtest.h>

namespace depthguard {
namespace {

TEST(LearningRate, ConstantIsThePeakEverywhere) {
  const ScheduleOptions o;
  for (int64_t step : {0, 5, 99, 1000}) EXPECT_DOUBLE_EQ(learning_rate(o, 0.1, step, 100), 0.1);
}

TEST(LearningRate, StepDecaysByGammaEveryStepSize) {
  const auto o = ScheduleOptions().kind(ScheduleKind::Step).step_size(10).gamma(0.5);
  EXPECT_DOUBLE_EQ(learning_rate(o, 1.0, 9, 100), 1.0);
  EXPECT_DOUBLE_EQ(learning_rate(o, 1.0, 10, 100), 0.5);
  EXPECT_DOUBLE_EQ(learning_rate(o, 1.0, 25, 100), 0.25);
}

TEST(LearningRate, PolyGoesFromThePeakToTheEnd) {
  const auto o = ScheduleOptions().kind(ScheduleKind::Poly).power(0.9).end_lr(0.01);
  EXPECT_DOUBLE_EQ(learning_rate(o, 1.0, 0, 101), 1.0);
  EXPECT_DOUBLE_EQ(learning_rate(o, 1.0, 100, 101), 0.01);
  EXPECT_NEAR(learning_rate(o, 1.0, 50, 101), 0.99 * std::pow(0.5, 0.9) + 0.01, 1e-12);
}

TEST(LearningRate, OneCycleRisesToThePeakThenFallsFarBelow) {
  const auto o = ScheduleOptions().kind(ScheduleKind::OneCycle).pct_start(0.25).div_factor(25).final_div_factor(1e4);
  EXPECT_NEAR(learning_rate(o, 1.0, 0, 101), 1.0 / 25, 1e-15);
  EXPECT_DOUBLE_EQ(learning_rate(o, 1.0, 25, 101), 1.0);
  EXPECT_NEAR(learning_rate(o, 1.0, 100, 101), 1.0 / 25 / 1e4, 1e-15);
  EXPECT_GT(learning_rate(o, 1.0, 20, 101), learning_rate(o, 1.0, 10, 101));
  EXPECT_LT(learning_rate(o, 1.0, 60, 101), learning_rate(o, 1.0, 40, 101));
}

TEST(LearningRate, WarmupScalesTheFirstStepsLinearly) {
  const auto o = ScheduleOptions().warmup_steps(10).warmup_factor(0.1);
  EXPECT_DOUBLE_EQ(learning_rate(o, 1.0, 0, 100), 0.1);
  EXPECT_DOUBLE_EQ(learning_rate(o, 1.0, 5, 100), 0.55);
  EXPECT_DOUBLE_EQ(learning_rate(o, 1.0, 10, 100), 1.0);
}

TEST(LearningRate, EdgesOneStepAndStepsPastTheEnd) {
  const auto poly = ScheduleOptions().kind(ScheduleKind::Poly).end_lr(0.0);
  EXPECT_DOUBLE_EQ(learning_rate(poly, 1.0, 0, 1), 1.0);  // steps = 1: the start value
  EXPECT_DOUBLE_EQ(learning_rate(poly, 1.0, 500, 100), learning_rate(poly, 1.0, 99, 100));
  EXPECT_DOUBLE_EQ(learning_rate(poly, 1.0, 0, 0), 1.0);  // steps < 1 is treated as 1
  const auto cycle = ScheduleOptions().kind(ScheduleKind::OneCycle).pct_start(0.0);
  EXPECT_DOUBLE_EQ(learning_rate(cycle, 1.0, 0, 10), 1.0);  // no rise: starts at the peak
  const auto rise_only = ScheduleOptions().kind(ScheduleKind::OneCycle).pct_start(1.0);
  EXPECT_DOUBLE_EQ(learning_rate(rise_only, 1.0, 9, 10), 1.0);
}

}  // namespace
}  // namespace depthguard
