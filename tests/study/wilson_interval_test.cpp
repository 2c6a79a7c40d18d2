#include "depthguard/study/wilson_interval.h"

#include <stdexcept>

#include <gtest/gtest.h>

namespace depthguard {
namespace {

TEST(WilsonInterval, KnownValues) {
  const auto half = wilson_interval(5, 10);
  EXPECT_NEAR(half.low, 0.2366, 1e-4);
  EXPECT_NEAR(half.high, 0.7634, 1e-4);
  const auto one_in_ten = wilson_interval(1, 10);
  EXPECT_NEAR(one_in_ten.low, 0.0179, 1e-4);
  EXPECT_NEAR(one_in_ten.high, 0.4042, 1e-4);
}

TEST(WilsonInterval, Edges) {
  const auto none = wilson_interval(0, 0);
  EXPECT_EQ(none.low, 0.0);
  EXPECT_EQ(none.high, 1.0);
  const auto zero = wilson_interval(0, 10);
  EXPECT_EQ(zero.low, 0.0);
  EXPECT_NEAR(zero.high, 0.2775, 1e-4);
  const auto all = wilson_interval(10, 10);
  EXPECT_EQ(all.high, 1.0);
  EXPECT_NEAR(all.low, 0.7225, 1e-4);
  const auto single = wilson_interval(1, 1);  // N = 1
  EXPECT_NEAR(single.low, 0.2065, 1e-4);
  EXPECT_EQ(single.high, 1.0);
  const auto point = wilson_interval(3, 10, 0.0);  // z = 0: the point estimate
  EXPECT_DOUBLE_EQ(point.low, 0.3);
  EXPECT_DOUBLE_EQ(point.high, 0.3);
  EXPECT_THROW(wilson_interval(-1, 10), std::invalid_argument);
  EXPECT_THROW(wilson_interval(11, 10), std::invalid_argument);
  EXPECT_THROW(wilson_interval(1, 10, -1.0), std::invalid_argument);
}

}  // namespace
}  // namespace depthguard
