#include "depthguard/numerics/masked_moments.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <limits>

#include "test_support.h"

namespace depthguard {
namespace {

using testing::all_finite;
using testing::grad_of;

using testing::kInf;

torch::Tensor all_valid(const torch::Tensor& v) { return torch::ones_like(v, torch::kBool); }

testing::ScalarFn stats_sum(VarianceKind kind, const torch::Tensor& mask) {
  return [=](const torch::Tensor& v) {
    const auto m = masked_moments(v, mask, kind);
    return m.mean.sum() + m.variance.sum();
  };
}

TEST(MaskedMoments, NoValidEntryGivesZerosAndZeroGradient) {
  const auto v = torch::tensor({{1.0f, kInf, NAN}});
  const auto mask = torch::zeros({1, 3}, torch::kBool);
  for (const auto& [name, kind] : variance_kind_choices()) {
    const auto m = masked_moments(v, mask, kind);
    EXPECT_EQ(m.count.item<float>(), 0) << name;
    EXPECT_EQ(m.mean.item<float>(), 0) << name;
    EXPECT_EQ(m.variance.item<float>(), 0) << name;
    EXPECT_TRUE(torch::equal(grad_of(stats_sum(kind, mask), v), torch::zeros_like(v))) << name;
  }
}

TEST(MaskedMoments, OneValidEntry) {
  const auto v = torch::tensor({{0.7f, 5.0f}});
  const auto mask = torch::tensor({{true, false}});
  EXPECT_EQ(masked_moments(v, mask, VarianceKind::Population).variance.item<float>(), 0.0f);
  EXPECT_EQ(masked_moments(v, mask, VarianceKind::Moments).variance.item<float>(), 0.0f);
  EXPECT_NEAR(masked_moments(v, mask, VarianceKind::Population).mean.item<float>(), 0.7f, 1e-7);
  // V3: the unbiased estimator is 0/0 for one valid pixel, in value and gradient.
  const auto unbiased = masked_moments(v, mask, VarianceKind::Unbiased).variance;
  EXPECT_TRUE(std::isnan(unbiased.item<float>()));
  EXPECT_TRUE(testing::any_nan(grad_of(stats_sum(VarianceKind::Unbiased, mask), v)));
  EXPECT_TRUE(all_finite(grad_of(stats_sum(VarianceKind::Population, mask), v)));
}

TEST(MaskedMoments, InvalidEntriesReachNeitherValueNorGradient) {
  const auto clean = torch::tensor({{1.0f, 2.0f, 4.0f}});
  const auto dirty = torch::tensor({{1.0f, 2.0f, 4.0f, kInf, -kInf, NAN}});
  const auto mask = torch::tensor({{true, true, true, false, false, false}});
  for (const auto& [name, kind] : variance_kind_choices()) {
    const auto a = masked_moments(clean, all_valid(clean), kind);
    const auto b = masked_moments(dirty, mask, kind);
    EXPECT_FLOAT_EQ(a.variance.item<float>(), b.variance.item<float>()) << name;
    const auto g = grad_of(stats_sum(kind, mask), dirty);
    EXPECT_TRUE(all_finite(g)) << name;
    EXPECT_TRUE(torch::equal(g.slice(1, 3), torch::zeros({1, 3}))) << name;
  }
}

TEST(MaskedMoments, ValidNonFiniteEntryIsNeverHidden) {
  for (const float bad : {NAN, kInf, -kInf}) {
    const auto v = torch::tensor({{1.0f, bad}});
    for (const auto& [name, kind] : variance_kind_choices()) {
      const auto m = masked_moments(v, all_valid(v), kind);
      EXPECT_FALSE(std::isfinite(m.mean.item<float>())) << name << " " << bad;
      EXPECT_TRUE(std::isnan(m.variance.item<float>())) << name << " " << bad;
    }
  }
}

TEST(MaskedMoments, MatchesTorchVarRowByRow) {
  const auto v = torch::randn({3, 50}, torch::kDouble);
  const auto mask = torch::rand({3, 50}) > 0.3;
  const auto pop = masked_moments(v, mask, VarianceKind::Population);
  const auto unb = masked_moments(v, mask, VarianceKind::Unbiased);
  for (int64_t r = 0; r < 3; ++r) {
    const auto row = v[r].masked_select(mask[r]);
    EXPECT_NEAR(pop.variance[r].item<double>(), row.var(/*unbiased=*/false).item<double>(), 1e-12);
    EXPECT_NEAR(unb.variance[r].item<double>(), row.var(/*unbiased=*/true).item<double>(), 1e-12);
    EXPECT_NEAR(pop.mean[r].item<double>(), row.mean().item<double>(), 1e-12);
  }
}

TEST(MaskedMoments, FormsAgreeToFloat32RoundingWhenWellConditioned) {
  const auto v = torch::randn({4, 1000});
  const auto mask = all_valid(v);
  const auto pop = masked_moments(v, mask, VarianceKind::Population).variance;
  const auto mom = masked_moments(v, mask, VarianceKind::Moments).variance;
  const auto unb = masked_moments(v, mask, VarianceKind::Unbiased).variance;
  EXPECT_TRUE(torch::allclose(pop, mom, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(pop, unb * 999.0 / 1000.0, 1e-5, 1e-6));
}

// V3: float32 d with mean 3 and std 1e-3 over 4096 samples.
TEST(MaskedMoments, OnePassMomentsGoNegativeWherePopulationCannot) {
  int negative_moments = 0;
  for (int seed = 0; seed < 200; ++seed) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    const auto d = 3.0 + 1e-3 * torch::randn({1, 4096}, gen);
    const auto mask = all_valid(d);
    negative_moments += masked_moments(d, mask, VarianceKind::Moments).variance.item<float>() < 0;
    const double pop = masked_moments(d, mask, VarianceKind::Population).variance.item<float>();
    const double exact = d.to(torch::kDouble).var(/*unbiased=*/false).item<double>();
    EXPECT_GT(pop, 0.0) << "seed " << seed;
    EXPECT_NEAR(pop, exact, 1e-2 * exact) << "seed " << seed;
  }
  EXPECT_GT(negative_moments, 0);
}

TEST(MaskedMoments, RejectsMismatchedShapesAndNonBoolMasks) {
  const auto v = torch::zeros({2, 3});
  EXPECT_THROW(masked_moments(v, torch::ones({2, 4}, torch::kBool), VarianceKind::Population),
               c10::Error);
  EXPECT_THROW(masked_moments(v, torch::ones({2, 3}), VarianceKind::Population), c10::Error);
}

}  // namespace
}  // namespace depthguard
