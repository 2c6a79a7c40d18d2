// Spike warnings: ZClip's running estimate of a figure, at its edges.
#include "depthguard/guard/spike_detector.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace depthguard {
namespace {

// Values around 1 with a small, regular spread.
double noisy(int64_t i) { return 1.0 + 0.05 * ((i % 3) - 1); }

TEST(SpikeDetector, AJumpFarAboveTheRunningMeanIsASpike) {
  SpikeDetector d("grad_norm", 2.5, 0.97, 25);
  for (int64_t i = 0; i < 40; ++i) EXPECT_FALSE(d.add(i, noisy(i))) << i;
  const auto spike = d.add(40, 40.0);
  ASSERT_TRUE(spike);
  EXPECT_EQ(spike->step, 40);
  EXPECT_EQ(spike->figure, "grad_norm");
  EXPECT_NEAR(spike->mean, 1.0, 0.02);
  EXPECT_NEAR(spike->ratio(), 40.0, 1.0);
  EXPECT_GT(spike->z(), 2.5);
  // The estimate took the bar, not the spike: the mean barely moved, and the same jump
  // again is a spike again.
  EXPECT_LT(d.mean(), 1.1);
  EXPECT_TRUE(d.add(41, 40.0));
}

TEST(SpikeDetector, ALastingShiftIsLearnt) {
  SpikeDetector d("loss", 2.5, 0.97, 25);
  for (int64_t i = 0; i < 30; ++i) d.add(i, noisy(i));
  int spikes = 0;
  for (int64_t i = 30; i < 300; ++i) spikes += d.add(i, 2.0 * noisy(i)) ? 1 : 0;
  EXPECT_GT(spikes, 0);
  EXPECT_LT(spikes, 60) << "the new level stops warning";
  EXPECT_FALSE(d.add(300, 2.0));
}

TEST(SpikeDetector, Edges) {
  SpikeDetector d("loss", 2.5, 0.97, 3);
  // N = 0, 1, ..., warmup: no spread yet, no spike, whatever the value.
  EXPECT_FALSE(d.add(0, 1.0));
  EXPECT_FALSE(d.add(1, 1000.0));
  EXPECT_FALSE(d.add(2, 1.0));
  EXPECT_EQ(d.count(), 3);
  // Non-finite values are the sentinel's: ignored, the estimate unchanged.
  const double mean = d.mean();
  EXPECT_FALSE(d.add(3, std::numeric_limits<double>::quiet_NaN()));
  EXPECT_FALSE(d.add(4, std::numeric_limits<double>::infinity()));
  EXPECT_FALSE(d.add(5, -std::numeric_limits<double>::infinity()));
  EXPECT_EQ(d.mean(), mean);
  EXPECT_EQ(d.count(), 3);
  // A constant figure: its spread is 1e-6 of the mean, so the same value never warns and
  // a real jump does; values below the mean never warn.
  SpikeDetector flat("loss", 2.5, 0.97, 2);
  for (int64_t i = 0; i < 10; ++i) EXPECT_FALSE(flat.add(i, 5.0));
  EXPECT_TRUE(flat.add(10, 5.1));
  EXPECT_FALSE(flat.add(11, 0.0));
  // A mean of 0 and z 0.
  SpikeDetector zero("grad_norm", 2.5, 0.97, 2);
  zero.add(0, 0.0);
  zero.add(1, 0.0);
  EXPECT_FALSE(zero.add(2, 0.0)) << "no spread at all: nothing to compare with";
  SpikeDetector off("loss", 0, 0.97, 1);
  off.add(0, 1.0);
  EXPECT_FALSE(off.add(1, 1e30));
}

}  // namespace
}  // namespace depthguard
