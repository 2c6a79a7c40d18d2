// The arithmetic of the kernel check at its edges: each dtype's roundoff, the bound at
// reduction lengths 0 and 1, and the normwise error with NaN, infinities, empty tensors,
// zero scales and a float16 overflow.
#include <cmath>
#include <limits>
#include <stdexcept>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "depthguard/guard/kernel_error_bound.h"

namespace depthguard {
namespace {

const double kInfinity = std::numeric_limits<double>::infinity();

TEST(KernelErrorBound, UnitRoundoffOfEachFloatingDtype) {
  EXPECT_EQ(unit_roundoff(torch::kDouble), std::ldexp(1.0, -53));
  EXPECT_EQ(unit_roundoff(torch::kFloat), std::ldexp(1.0, -24));
  EXPECT_EQ(unit_roundoff(torch::kHalf), std::ldexp(1.0, -11));
  EXPECT_EQ(unit_roundoff(torch::kBFloat16), std::ldexp(1.0, -8));
  EXPECT_THROW(unit_roundoff(torch::kLong), std::invalid_argument);
}

TEST(KernelErrorBound, GrowsWithTheReductionFromTheOutputsRounding) {
  const double u = std::ldexp(1.0, -24);
  EXPECT_DOUBLE_EQ(kernel_error_bound(0, torch::kFloat), 2 * 2 * u);  // one step, one rounding of the output
  EXPECT_DOUBLE_EQ(kernel_error_bound(1, torch::kFloat), 2 * 3 * u);
  EXPECT_DOUBLE_EQ(kernel_error_bound(1000, torch::kFloat), 2 * 1002 * u);
  // A normalisation's 8 steps after its sums (subtract, reciprocal square root, scale, shift).
  EXPECT_DOUBLE_EQ(kernel_error_bound(4, torch::kFloat, false, 8), 2 * 13 * u);
  // bfloat16 accumulates in float32, with up to 1 + ceil(log2 K) roundings of partial sums
  // in bfloat16 (1 + 10 for K = 1000; one for K = 0 or 1).
  EXPECT_DOUBLE_EQ(kernel_error_bound(1000, torch::kBFloat16), 2 * (1001 * u + 11 * std::ldexp(1.0, -8)));
  EXPECT_DOUBLE_EQ(kernel_error_bound(1, torch::kHalf), 2 * (2 * u + std::ldexp(1.0, -11)));
  // TF32 rounds both inputs to 10 bits before it multiplies.
  EXPECT_DOUBLE_EQ(kernel_error_bound(0, torch::kFloat, true), 2 * (2 * u + 2 * std::ldexp(1.0, -11)));
  EXPECT_THROW(kernel_error_bound(-1, torch::kFloat), std::invalid_argument);
  EXPECT_THROW(kernel_error_bound(1, torch::kFloat, false, 0), std::invalid_argument);
}

TEST(KernelErrorBound, NormwiseErrorIsTheWorstDifferenceOverTheLargestScale) {
  const auto ref = torch::tensor({1.0, -2.0, 4.0}, torch::kDouble);
  const auto out = torch::tensor({1.0f, -2.5f, 4.0f});
  EXPECT_DOUBLE_EQ(normwise_error(out, ref, ref.abs() * 2), 0.5 / 8);
  EXPECT_EQ(normwise_error(ref.to(torch::kFloat), ref, ref), 0.0);
}

TEST(KernelErrorBound, NormwiseErrorAtItsEdges) {
  const auto empty = torch::zeros({0}, torch::kDouble);
  EXPECT_EQ(normwise_error(empty.to(torch::kFloat), empty, empty), 0.0);  // N = 0
  const auto one = torch::tensor({3.0}, torch::kDouble);
  EXPECT_EQ(normwise_error(torch::tensor({3.0f}), one, one), 0.0);  // N = 1, exact
  // A NaN or an infinity where float64 is finite: infinitely wrong.
  EXPECT_EQ(normwise_error(torch::tensor({NAN}), one, one), kInfinity);
  EXPECT_EQ(normwise_error(torch::tensor({INFINITY}), one, one), kInfinity);
  // Where float64 itself is not finite (non-finite inputs), nothing is compared.
  const auto nan_ref = torch::tensor({std::nan(""), 1.0}, torch::kDouble);
  EXPECT_EQ(normwise_error(torch::tensor({NAN, 1.0f}), nan_ref, torch::ones({2}, torch::kDouble)), 0.0);
  // A zero scale: exact is exact, any difference is infinitely wrong.
  const auto zero = torch::zeros({2}, torch::kDouble);
  EXPECT_EQ(normwise_error(torch::zeros({2}), zero, zero), 0.0);
  EXPECT_EQ(normwise_error(torch::tensor({0.0f, 1e-30f}), zero, zero), kInfinity);
  // float16's overflow to inf of a value beyond 65504 is the precision's, not the kernel's.
  const auto big = torch::tensor({1e5, 1.0}, torch::kDouble);
  EXPECT_EQ(normwise_error(torch::tensor({INFINITY, 1.0f}).to(torch::kHalf), big, big), 0.0);
}

}  // namespace
}  // namespace depthguard
