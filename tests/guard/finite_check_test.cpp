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
  EXPECT_TRUE(all_finite({torch::ones({4}, torch::kBFloat16)}));  // bf16 buffers
  EXPECT_FALSE(all_finite({torch::tensor({1.0F, kNaN}).to(torch::kBFloat16)}));
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

// The forms check_step reads in its one copy: per-tensor norms left on the device, summed on
// the host.
TEST(Measurable, KeepsDefinedNonEmptyFloatingTensorsOnly) {
  EXPECT_TRUE(measurable({}).empty());
  EXPECT_TRUE(measurable({torch::Tensor(), torch::zeros({0}), torch::tensor({int64_t{3}})}).empty());
  EXPECT_EQ(measurable({torch::ones({2}, torch::kBFloat16), torch::zeros({0}), torch::ones({1})}).size(), 2u);
}

TEST(NormsOnDevice, OneNormPerTensorInTheirPrecisionOverflowingThere) {
  EXPECT_FALSE(norms_on_device({}).defined());
  const auto norms = norms_on_device({torch::tensor({3.0F}), torch::tensor({4.0F, 0.0F})});
  EXPECT_EQ(norms.sizes(), torch::IntArrayRef({2}));
  EXPECT_EQ(norms[0].item<double>(), 3.0);  // N = 1
  EXPECT_EQ(norms[1].item<double>(), 4.0);
  EXPECT_TRUE(std::isinf(norms_on_device({torch::full({1000}, 3e38F)})[0].item<double>()));  // float32 squares
  EXPECT_TRUE(std::isnan(norms_on_device({torch::ones({2}), torch::tensor({kNaN})})[1].item<double>()));
  EXPECT_TRUE(std::isinf(norms_on_device({torch::tensor({-kInf})})[0].item<double>()));
  // fp16: a norm of 120000 is beyond 65504 (LibTorch 2.x accumulates float16 squares in
  // float32, 1.13 in float16: either way the result is inf), and global_norm's redo gives it.
  EXPECT_TRUE(std::isinf(norms_on_device({torch::full({4}, 60000.0F, torch::kHalf)})[0].item<double>()));
  EXPECT_NEAR(global_norm({torch::full({4}, 60000.0F, torch::kHalf)}), 120000.0, 100.0);
  // Mixed precisions (fp16 and float32 parameters) come out in the widest.
  EXPECT_EQ(norms_on_device({torch::ones({2}, torch::kHalf), torch::ones({2})}).scalar_type(), torch::kFloat);
}

TEST(CombinedNorm, IsTheNormOfTheNormsAndNonFiniteWhenOneIs) {
  const double norms[] = {3.0, 4.0, kNaN, kInf};
  EXPECT_EQ(combined_norm(norms, 0), 0.0);
  EXPECT_EQ(combined_norm(norms, 1), 3.0);  // N = 1
  EXPECT_EQ(combined_norm(norms, 2), 5.0);
  EXPECT_TRUE(std::isnan(combined_norm(norms, 3)));
  EXPECT_TRUE(std::isinf(combined_norm(norms + 3, 1)));
  EXPECT_TRUE(std::isnan(combined_norm(norms + 2, 2)));  // NaN and inf: NaN
  const double large[] = {1e200, 1e200};
  EXPECT_TRUE(std::isinf(combined_norm(large, 2)));  // float64 squares overflow too: global_norm's redo
}

// Small float32 CPU tensors are summed on the host, the rest left on the device: the same norm.
TEST(BeginNorm, SumsSmallFloat32CpuTensorsOnTheHostAndLeavesTheRestToRead) {
  const auto empty = begin_norm({});
  EXPECT_EQ(empty.read_count(), 0u);
  EXPECT_EQ(empty.finish(nullptr), 0.0);  // N = 0: nothing to read
  const auto small = begin_norm({torch::tensor({3.0F}), torch::tensor({4.0F})});
  EXPECT_EQ(small.read_count(), 0u);
  EXPECT_EQ(small.finish(nullptr), 5.0);
  // Too large, another precision, or not contiguous: left for the read.
  const auto large = torch::full({kHostSummedElements + 1}, 0.5F);
  const auto mixed = begin_norm({torch::tensor({3.0F}), large, torch::ones({4}, torch::kHalf),
                                 torch::ones({4, 4}).t().slice(0, 0, 2)});
  ASSERT_EQ(mixed.read_count(), 3u);
  const auto read = read_figures({mixed.device_norms});
  // The device norms are float32: float32's relative precision.
  EXPECT_NEAR(mixed.finish(read.data()), std::sqrt(9.0 + 0.25 * (kHostSummedElements + 1) + 4 + 8), 1e-5);
  EXPECT_NEAR(mixed.finish(read.data()), global_norm({torch::tensor({3.0F}), large, torch::ones({4}, torch::kHalf),
                                                     torch::ones({4, 4}).t().slice(0, 0, 2)}),
              1e-9);
}

TEST(BeginNorm, HostSumsAreFloat64SoOnlyANonFiniteElementMakesThemNonFinite) {
  EXPECT_TRUE(std::isfinite(begin_norm({torch::full({1000}, 3e38F)}).finish(nullptr)));  // float32 squares
  EXPECT_TRUE(std::isnan(begin_norm({torch::tensor({1.0F, kNaN})}).finish(nullptr)));
  EXPECT_TRUE(std::isinf(begin_norm({torch::tensor({-kInf, 2.0F})}).finish(nullptr)));
  EXPECT_TRUE(std::isinf(begin_norm({torch::tensor({kInf, -kInf})}).finish(nullptr)));  // squares: no NaN
  // Odd lengths: the tail after the groups of four counts too.
  EXPECT_EQ(begin_norm({torch::tensor({1.0F, 1.0F, 1.0F, 1.0F, 1.0F, 1.0F, 1.0F, 2.0F, 2.0F})}).finish(nullptr),
            std::sqrt(15.0));
}

TEST(ReadFigures, OneCopyPromotedToTheWidestAndReadAsFloat64) {
  EXPECT_TRUE(read_figures({}).empty());
  const auto read = read_figures({torch::tensor({0.5F}, torch::kHalf), torch::tensor({0.1, 2.0}, torch::kDouble)});
  ASSERT_EQ(read.size(), 3u);
  EXPECT_EQ(read[0], 0.5);
  EXPECT_EQ(read[1], 0.1);  // float64 kept exactly
  EXPECT_TRUE(std::isnan(read_figures({torch::tensor({kNaN})})[0]));
  // Any shape, flattened in order; bf16 read exactly; an empty tensor adds nothing.
  // Integer and bool figures too (the trainer's stop request rides along as one).
  const auto shaped = read_figures({torch::tensor(2.0F), torch::ones({2, 2}, torch::kBFloat16), torch::zeros({0}),
                                    torch::tensor(int64_t{7}), torch::tensor(true)});
  EXPECT_EQ(shaped, std::vector<double>({2.0, 1.0, 1.0, 1.0, 1.0, 7.0, 1.0}));
}

TEST(GradientsOf, OnlyDefinedGradients) {
  auto a = torch::ones({2}, torch::requires_grad());
  auto b = torch::ones({2}, torch::requires_grad());
  (a * 2).sum().backward();
  EXPECT_EQ(gradients_of({a, b}).size(), 1u);
}

}  // namespace
}  // namespace depthguard
