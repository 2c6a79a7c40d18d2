#include "depthguard/losses/valid_mask.h"

#include <limits>

#include "test_support.h"

namespace depthguard {
namespace {

using testing::kInf;

TEST(ValidMask, RejectsZeroNegativeNonFiniteAndOutOfRange) {
  const auto gt = torch::tensor({0.0f, -1.0f, NAN, kInf, -kInf, 0.5f, 10.0f, 20.0f});
  const auto bounded = valid_depth_mask(gt, 0.0, 10.0);
  EXPECT_TRUE(torch::equal(bounded, torch::tensor({false, false, false, false, false, true, true, false})));
  const auto unbounded = valid_depth_mask(gt, 0.0, 0.0);
  EXPECT_TRUE(torch::equal(unbounded, torch::tensor({false, false, false, false, false, true, true, true})));
}

TEST(ValidMask, MinDepthIsExclusive) {
  EXPECT_FALSE(valid_depth_mask(torch::tensor({0.5f}), 0.5, 0.0).item<bool>());
}

TEST(ValidMask, EmptyInputGivesEmptyMask) {
  EXPECT_EQ(valid_depth_mask(torch::empty({0, 1, 4, 4}), 0.0, 10.0).numel(), 0);
}

}  // namespace
}  // namespace depthguard
