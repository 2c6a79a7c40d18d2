// Spike warnings: a figure against its running median on a log scale, at its edges.
#include "depthguard/guard/spike_detector.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace depthguard {
namespace {

// Values around 1 with a small, regular spread.
double noisy(int64_t i) { return 1.0 + 0.05 * ((i % 3) - 1); }

TEST(SpikeDetector, AJumpOfTheRatioOverTheRunningMedianIsASpike) {
  SpikeDetector d("grad_norm", 10, 3, 50, 25);
  for (int64_t i = 0; i < 40; ++i) EXPECT_FALSE(d.add(i, noisy(i))) << i;
  const auto spike = d.add(40, 40.0);
  ASSERT_TRUE(spike);
  EXPECT_EQ(spike->step, 40);
  EXPECT_EQ(spike->figure, "grad_norm");
  EXPECT_NEAR(spike->median, 1.0, 0.051);
  EXPECT_NEAR(spike->ratio(), 40.0, 2.1);
  EXPECT_GT(spike->mads, 3);
  EXPECT_EQ(spike->over, 40);
  // The median barely moved: after one value back at the level, the same jump is a spike again.
  EXPECT_NEAR(d.median(), 1.0, 0.051);
  EXPECT_FALSE(d.add(41, 1.0));
  EXPECT_TRUE(d.add(42, 40.0));
}

TEST(SpikeDetector, BelowTheRatioIsNoSpikeHoweverManyMadsAbove) {
  // A healthy heavy tail: 7x the median is no warning at ratio 10, even on a flat figure.
  SpikeDetector d("grad_norm", 10, 3, 50, 25);
  for (int64_t i = 0; i < 40; ++i) d.add(i, noisy(i));
  EXPECT_FALSE(d.add(40, 7.0));
  EXPECT_TRUE(d.add(41, 11.0)) << "the step after, above the bar, crosses it anew: 7 was below";
}

TEST(SpikeDetector, AFigureThatSwingsByOrdersOfMagnitudeStaysQuiet) {
  // A dead network's gradient norm: 1e-20, 1e-25, 1e-15, ... the logs' MAD is wide, so a
  // 10x move is within the figure's own swing.
  SpikeDetector d("grad_norm", 10, 3, 50, 25);
  int spikes = 0;
  for (int64_t i = 0; i < 200; ++i) spikes += d.add(i, std::pow(10.0, -20.0 + 5.0 * ((i * 7) % 3 - 1))) ? 1 : 0;
  EXPECT_EQ(spikes, 0);
}

TEST(SpikeDetector, AClimbWarnsOnceAtTheStepItCrossesTheBar) {
  SpikeDetector d("loss", 10, 3, 50, 25);
  for (int64_t i = 0; i < 30; ++i) d.add(i, noisy(i));
  int spikes = 0;
  for (int64_t i = 30; i < 40; ++i) spikes += d.add(i, 100.0 * i) ? 1 : 0;
  EXPECT_EQ(spikes, 1);
}

TEST(SpikeDetector, ALastingShiftIsLearntWithinTheWindow) {
  SpikeDetector d("loss", 10, 3, 50, 25);
  for (int64_t i = 0; i < 30; ++i) d.add(i, noisy(i));
  EXPECT_TRUE(d.add(30, 20.0 * noisy(30)));
  for (int64_t i = 31; i < 80; ++i) d.add(i, 20.0 * noisy(i));
  EXPECT_NEAR(d.median(), 20.0, 1.01);
  EXPECT_FALSE(d.add(80, 20.0)) << "the new level is the median now";
}

TEST(SpikeDetector, Edges) {
  SpikeDetector d("loss", 10, 3, 50, 3);
  // N = 0, 1, ..., warmup: nothing to compare with yet, whatever the value.
  EXPECT_EQ(d.median(), 0);
  EXPECT_FALSE(d.add(0, 1.0));
  EXPECT_FALSE(d.add(1, 1000.0));
  EXPECT_FALSE(d.add(2, 1.0));
  EXPECT_EQ(d.count(), 3);
  // Non-finite values are the sentinel's, and 0 or a negative value has no log: ignored,
  // the estimate unchanged.
  for (const double v : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                         -std::numeric_limits<double>::infinity(), 0.0, -5.0}) {
    EXPECT_FALSE(d.add(3, v)) << v;
  }
  EXPECT_EQ(d.count(), 3);
  EXPECT_DOUBLE_EQ(d.median(), 1.0);
  // A constant figure: its MAD is 0, so the ratio alone decides; the same value, or below
  // it, never warns.
  SpikeDetector flat("loss", 10, 3, 50, 2);
  for (int64_t i = 0; i < 10; ++i) EXPECT_FALSE(flat.add(i, 5.0));
  EXPECT_FALSE(flat.add(10, 49.0));
  const auto jump = flat.add(11, 51.0);
  ASSERT_TRUE(jump);
  EXPECT_TRUE(std::isinf(jump->mads));
  EXPECT_FALSE(flat.add(12, 1e-30));
  // A window of 1 compares with the previous value alone; a ratio of 0 is off.
  SpikeDetector last("loss", 10, 0, 1, 1);
  last.add(0, 1.0);
  EXPECT_TRUE(last.add(1, 11.0));
  EXPECT_FALSE(last.add(2, 12.0)) << "12 is not 10x 11";
  SpikeDetector off("loss", 0, 3, 50, 1);
  off.add(0, 1.0);
  EXPECT_FALSE(off.add(1, 1e30));
}

}  // namespace
}  // namespace depthguard
