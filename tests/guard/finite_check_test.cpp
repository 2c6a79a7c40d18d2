#include "depthguard/guard/finite_check.h"

#include <limits>

#include "test_support.h"

namespace depthguard {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

TEST(AllFinite, FiniteTensorsPassEvenWhenTheirSumWouldOverflowFloat32) {
  EXPECT_TRUE(all_finite({torch::randn({3, 4}), torch::full({1000}, 3e38f)}));
}

TEST(AllFinite, OneNaNOrInfinityAnywhereFails) {
  for (const float bad : {kNaN, kInf, -kInf}) {
    auto t = torch::zeros({5, 5});
    t[4][4] = bad;
    EXPECT_FALSE(all_finite({torch::ones({2}), t})) << bad;
  }
  auto both = torch::zeros({2});
  both[0] = kInf;
  both[1] = -kInf;  // sums to NaN: still caught
  EXPECT_FALSE(all_finite({both}));
}

TEST(AllFinite, EdgesEmptyListUndefinedAndEmptyTensors) {
  EXPECT_TRUE(all_finite({}));
  EXPECT_TRUE(all_finite({torch::Tensor(), torch::zeros({0, 3})}));
  EXPECT_TRUE(all_finite({torch::tensor(1.0)}));  // N = 1
}

TEST(GradientsOf, OnlyDefinedGradients) {
  auto a = torch::ones({2}, torch::requires_grad());
  auto b = torch::ones({2}, torch::requires_grad());
  (a * 2).sum().backward();
  EXPECT_EQ(gradients_of({a, b}).size(), 1u);
}

}  // namespace
}  // namespace depthguard
