#include "depthguard/guard/finite_check.h"

#include <limits>

#include "test_support.h"

namespace depthguard {
namespace {

using testing::kNaN;
using testing::kInf;

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
  EXPECT_TRUE(all_finite({torch::tensor({int64_t{7}})}));  // BatchNorm's num_batches_tracked
}

TEST(GlobalNorm, IsTheL2NormOfEverythingAndNonFiniteExactlyWhenAValueIs) {
  EXPECT_DOUBLE_EQ(global_norm({torch::tensor({3.0F}), torch::tensor({4.0F})}), 5.0);
  EXPECT_DOUBLE_EQ(global_norm({torch::tensor({-2.0F})}), 2.0);  // N = 1
  EXPECT_EQ(global_norm({}), 0.0);
  EXPECT_EQ(global_norm({torch::Tensor(), torch::zeros({0, 3})}), 0.0);
  // float32 squares of 3e38 overflow; the float64 accumulation does not.
  EXPECT_TRUE(std::isfinite(global_norm({torch::full({1000}, 3e38F)})));
  EXPECT_TRUE(std::isnan(global_norm({torch::ones({2}), torch::tensor({NAN})})));
  EXPECT_TRUE(std::isinf(global_norm({torch::tensor({-INFINITY})})));
}

// The forms check_step reads in its one copy: left on the device, undefined for nothing.
TEST(FiniteSum, IsFiniteExactlyWhenEveryValueIsAndUndefinedForNone) {
  EXPECT_FALSE(finite_sum({}).defined());
  EXPECT_FALSE(finite_sum({torch::Tensor(), torch::zeros({0}), torch::tensor({int64_t{3}})}).defined());
  EXPECT_EQ(finite_sum({torch::tensor({1.5F})}).item<double>(), 1.5);  // N = 1
  EXPECT_EQ(finite_sum({torch::tensor({1.0F})}).scalar_type(), torch::kDouble);
  EXPECT_TRUE(std::isfinite(finite_sum({torch::full({1000}, 3e38F)}).item<double>()));  // float64 sum
  EXPECT_TRUE(std::isnan(finite_sum({torch::tensor({kInf, -kInf})}).item<double>()));
  EXPECT_TRUE(std::isnan(finite_sum({torch::tensor({1.0F, kNaN})}).item<double>()));
  EXPECT_TRUE(std::isfinite(finite_sum({torch::ones({4}, torch::kBFloat16)}).item<double>()));  // bf16 buffers
}

TEST(NormOnDevice, OverflowsInTheTensorsPrecisionWhichGlobalNormThenRedoes) {
  EXPECT_FALSE(norm_on_device({}).defined());
  EXPECT_FALSE(norm_on_device({torch::Tensor(), torch::zeros({0, 2})}).defined());
  EXPECT_DOUBLE_EQ(norm_on_device({torch::tensor({3.0F}), torch::tensor({4.0F})}).item<double>(), 5.0);
  EXPECT_TRUE(std::isinf(norm_on_device({torch::full({1000}, 3e38F)}).item<double>()));  // float32 squares
  EXPECT_TRUE(std::isfinite(global_norm({torch::full({1000}, 3e38F)})));                 // the redo
  EXPECT_TRUE(std::isnan(norm_on_device({torch::tensor({kNaN})}).item<double>()));
  // fp16: a norm of 120000 is beyond 65504 (LibTorch 2.x accumulates float16 squares in
  // float32, 1.13 in float16: either way the result is inf), and the redo gives it.
  EXPECT_TRUE(std::isinf(norm_on_device({torch::full({4}, 60000.0F, torch::kHalf)}).item<double>()));
  EXPECT_NEAR(global_norm({torch::full({4}, 60000.0F, torch::kHalf)}), 120000.0, 100.0);
}

TEST(GradientsOf, OnlyDefinedGradients) {
  auto a = torch::ones({2}, torch::requires_grad());
  auto b = torch::ones({2}, torch::requires_grad());
  (a * 2).sum().backward();
  EXPECT_EQ(gradients_of({a, b}).size(), 1u);
}

}  // namespace
}  // namespace depthguard
