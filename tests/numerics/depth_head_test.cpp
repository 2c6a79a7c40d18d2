#include "depthguard/numerics/depth_head.h"

#include <cmath>
#include <limits>

#include "depthguard/core/errors.h"
#include "test_support.h"

namespace depthguard {
namespace {

using testing::all_finite;
using testing::grad_of;

using testing::kInf;

testing::ScalarFn head(HeadKind kind) {
  return [=](const torch::Tensor& x) {
    return log_depth_from_logits(x, DepthHeadOptions().kind(kind)).sum();
  };
}

torch::Tensor scalar(float x) { return torch::full({1}, x); }

TEST(DepthHead, NaiveUnderflowsAtLogitMinus100) {
  const auto value = head(HeadKind::Naive)(scalar(-100));
  EXPECT_TRUE(std::isinf(value.item<float>()) && value.item<float>() < 0);
  EXPECT_TRUE(std::isnan(grad_of(head(HeadKind::Naive), scalar(-100)).item<float>()));
}

TEST(DepthHead, NaiveAlreadyUnderflowsAtMinus90) {
  EXPECT_FALSE(all_finite(head(HeadKind::Naive)(scalar(-90))));
}

TEST(DepthHead, FusedIsFiniteWithUnitGradientAtMinus100) {
  const auto value = head(HeadKind::Fused)(scalar(-100)).item<float>();
  EXPECT_NEAR(value, std::log(10.0) - 100.0, 1e-4);
  EXPECT_FLOAT_EQ(grad_of(head(HeadKind::Fused), scalar(-100)).item<float>(), 1.0f);
}

TEST(DepthHead, FusedFiniteWithGradientInUnitIntervalForEveryFiniteLogit) {
  const auto x = torch::cat({torch::linspace(-1e4, 1e4, 2001),
                             torch::tensor({-3.4e38f, 3.4e38f, -1e-30f, 0.0f})});
  EXPECT_TRUE(all_finite(log_depth_from_logits(x, DepthHeadOptions())));
  const auto g = grad_of(head(HeadKind::Fused), x);
  EXPECT_TRUE(all_finite(g));
  EXPECT_GE(g.min().item<float>(), 0.0f);
  EXPECT_LE(g.max().item<float>(), 1.0f);
}

TEST(DepthHead, FusedAtInfinities) {
  EXPECT_FLOAT_EQ(head(HeadKind::Fused)(scalar(kInf)).item<float>(), std::log(10.0f));
  EXPECT_FLOAT_EQ(grad_of(head(HeadKind::Fused), scalar(kInf)).item<float>(), 0.0f);
  EXPECT_EQ(head(HeadKind::Fused)(scalar(-kInf)).item<float>(), -kInf);
  EXPECT_FLOAT_EQ(grad_of(head(HeadKind::Fused), scalar(-kInf)).item<float>(), 1.0f);
}

TEST(DepthHead, NaiveAndFusedAgreeWhereBothFinite) {
  const auto x = torch::linspace(-80, 80, 1601);
  const auto naive = log_depth_from_logits(x, DepthHeadOptions().kind(HeadKind::Naive));
  const auto fused = log_depth_from_logits(x, DepthHeadOptions().kind(HeadKind::Fused));
  EXPECT_TRUE(torch::allclose(naive, fused, 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(grad_of(head(HeadKind::Naive), x), grad_of(head(HeadKind::Fused), x),
                              1e-5, 1e-6));
}

TEST(DepthHead, NaNPropagatesForEveryKind) {
  for (const auto& [name, kind] : head_kind_choices()) {
    const auto out = log_depth_from_logits(scalar(NAN), DepthHeadOptions().kind(kind));
    EXPECT_TRUE(std::isnan(out.item<float>())) << name;
  }
}

TEST(DepthHead, EmptyInputGivesEmptyOutput) {
  for (const auto& [name, kind] : head_kind_choices()) {
    EXPECT_EQ(log_depth_from_logits(torch::empty({0}), DepthHeadOptions().kind(kind)).numel(), 0)
        << name;
  }
}

TEST(DepthHead, ExpIsIdentityIncludingInfinities) {
  const auto x = torch::tensor({-kInf, -3.0f, 0.0f, 5.0f, kInf});
  EXPECT_TRUE(torch::equal(log_depth_from_logits(x, DepthHeadOptions().kind(HeadKind::Exp)), x));
  EXPECT_TRUE(torch::equal(grad_of(head(HeadKind::Exp), x), torch::ones_like(x)));
}

TEST(DepthHead, SoftplusAtInfinities) {
  const auto opts = DepthHeadOptions().kind(HeadKind::Softplus).min_depth(0.01);
  EXPECT_NEAR(log_depth_from_logits(scalar(-kInf), opts).item<float>(), std::log(0.01), 1e-6);
  EXPECT_EQ(log_depth_from_logits(scalar(kInf), opts).item<float>(), kInf);
  EXPECT_FLOAT_EQ(grad_of(head(HeadKind::Softplus), scalar(-kInf)).item<float>(), 0.0f);
  EXPECT_TRUE(all_finite(log_depth_from_logits(torch::linspace(-1e4, 1e4, 101), opts)));
}

TEST(DepthHead, ModuleMatchesFunctionAndRejectsBadDepths) {
  DepthHead module(DepthHeadOptions().kind(HeadKind::Fused).max_depth(80));
  const auto x = torch::randn({2, 1, 3, 4});
  EXPECT_TRUE(torch::equal(module(x), log_depth_from_logits(x, module->options)));
  EXPECT_NE(testing::error_message<InvalidArgument>([] { DepthHead(DepthHeadOptions().max_depth(0)); })
                .find("max_depth must be > 0"),
            std::string::npos);
  EXPECT_THROW(DepthHead(DepthHeadOptions().min_depth(-1)), InvalidArgument);
}

}  // namespace
}  // namespace depthguard
