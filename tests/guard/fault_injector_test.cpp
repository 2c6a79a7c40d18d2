#include "depthguard/guard/fault_injector.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace depthguard {
namespace {

GuardOptions at_step_2(InjectSite site, InjectValue value = InjectValue::Nan) {
  return GuardOptions().inject_site(site).inject_value(value).inject_step(2);
}

TEST(FaultInjector, FiresOnceAtTheConfiguredSiteAndStep) {
  FaultInjector injector(at_step_2(InjectSite::Gradient));
  auto t = torch::zeros({2, 3});
  EXPECT_FALSE(injector.inject(InjectSite::Gradient, 1, t));
  EXPECT_FALSE(injector.inject(InjectSite::Weight, 2, t));
  EXPECT_TRUE(torch::isfinite(t).all().item<bool>());
  EXPECT_TRUE(injector.inject(InjectSite::Gradient, 2, t));
  EXPECT_TRUE(std::isnan(t[0][0].item<float>()));
  EXPECT_EQ(torch::isnan(t).sum().item<int64_t>(), 1);
  EXPECT_FALSE(injector.inject(InjectSite::Gradient, 2, torch::zeros({1})));  // once a run
  EXPECT_EQ(injector.fired_at(2), "gradient:nan");
  EXPECT_EQ(injector.fired_at(3), "");
  EXPECT_TRUE(injector.reproducible_at(2));
  EXPECT_FALSE(injector.reproducible_at(3));
  // A reproducible fault: the retry of that attempt gets it again; the next attempt at the
  // same step (after a skip) does not.
  injector.begin_run(/*retry=*/true);
  EXPECT_TRUE(injector.inject(InjectSite::Gradient, 2, torch::zeros({1})));
  injector.begin_run(/*retry=*/false);
  EXPECT_FALSE(injector.inject(InjectSite::Gradient, 2, torch::zeros({1})));
}

// inject_runs 1 (--inject ...:once): a transient fault, which the retry no longer meets;
// inject_runs 2: it comes back on the first retry, not on the second.
TEST(FaultInjector, ATransientFaultHitsOnlyTheFirstRuns) {
  FaultInjector once(at_step_2(InjectSite::Loss).inject_runs(1));
  once.begin_run(false);
  EXPECT_TRUE(once.inject(InjectSite::Loss, 2, torch::zeros({})));
  EXPECT_EQ(once.fired_at(2), "loss:nan:once");
  EXPECT_FALSE(once.reproducible_at(2));
  once.begin_run(/*retry=*/true);
  EXPECT_FALSE(once.inject(InjectSite::Loss, 2, torch::zeros({})));

  FaultInjector twice(at_step_2(InjectSite::Gradient).inject_runs(2));
  for (const bool expected : {true, true, false}) {
    twice.begin_run(/*retry=*/twice.fired_at(2) != "");
    EXPECT_EQ(twice.inject(InjectSite::Gradient, 2, torch::zeros({1})), expected);
  }
  EXPECT_EQ(twice.fired_at(2), "gradient:nan:2");
}

TEST(FaultInjector, InfValueAndParametersOutsideAutograd) {
  FaultInjector injector(at_step_2(InjectSite::Weight, InjectValue::Inf));
  auto w = torch::ones({3}, torch::requires_grad());
  EXPECT_TRUE(injector.inject(InjectSite::Weight, 2, w));
  EXPECT_TRUE(std::isinf(w[0].item<float>()));
  EXPECT_EQ(injector.fired_at(2), "weight:inf");
}

TEST(FaultInjector, ChannelsLastAndScalarTargets) {
  FaultInjector injector(at_step_2(InjectSite::Weight));
  auto w = torch::zeros({4, 3, 2, 2}).contiguous(torch::MemoryFormat::ChannelsLast);
  EXPECT_TRUE(injector.inject(InjectSite::Weight, 2, w));
  EXPECT_TRUE(std::isnan(w[0][0][0][0].item<float>()));
  EXPECT_EQ(torch::isnan(w).sum().item<int64_t>(), 1);
  FaultInjector scalar(at_step_2(InjectSite::Depth, InjectValue::Inf));
  auto s = torch::zeros({});
  EXPECT_TRUE(scalar.inject(InjectSite::Depth, 2, s));
  EXPECT_TRUE(std::isinf(s.item<float>()));
}

TEST(FaultInjector, Edges) {
  FaultInjector off(GuardOptions{});  // site none
  auto t = torch::zeros({2});
  EXPECT_FALSE(off.inject(InjectSite::None, 0, t));
  EXPECT_EQ(off.fired_at(0), "");
  // An undefined or empty target leaves the injection pending.
  FaultInjector pending(at_step_2(InjectSite::Image));
  EXPECT_FALSE(pending.inject(InjectSite::Image, 2, torch::Tensor()));
  EXPECT_FALSE(pending.inject(InjectSite::Image, 2, torch::zeros({0})));
  EXPECT_TRUE(pending.inject(InjectSite::Image, 2, t));
}

}  // namespace
}  // namespace depthguard
