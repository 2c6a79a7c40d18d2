// What the replays say: transient when none on the run's own device reproduced the value;
// a device kernel when only that device makes it; injection comes first only for a fault
// every run gets.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "depthguard/guard/forensics_report.h"
#include "depthguard/guard/nonfinite_recorder.h"

namespace depthguard {
namespace {

ForensicsReport gradient_event(std::vector<StepReplay> replays) {
  ForensicsReport r;
  r.step = 12;
  r.stage = "gradient";
  r.run_device = "cuda:0";
  r.run_precision = "float16";
  r.replays = std::move(replays);
  return r;
}

TEST(ReplayCause, FiniteOnTheRunsDeviceIsTransient) {
  auto r = gradient_event({{"cuda:0", "float16", false}, {"cuda:0", "float16", false}});
  r.classify();
  EXPECT_EQ(r.cause, NonFiniteCause::Transient);
  EXPECT_NE(r.reason.find("finite when run again on cuda:0 (2 replay(s) in float16): a hardware fault or a "
                          "nondeterministic kernel"),
            std::string::npos)
      << r.reason;
  EXPECT_NE(cause_remedy(r.cause).find("guard.on_transient"), std::string::npos);
  const auto j = nlohmann::json::parse(r.json());
  EXPECT_EQ(j["cause"], "transient");
  EXPECT_EQ(j["replays"].size(), 2u);
  EXPECT_EQ(j["run_device"], "cuda:0");
}

TEST(ReplayCause, FiniteElsewhereSaysNothingOfTheRunsDevice) {
  // Replayed on the CPU only (diagnose on a machine without the GPU), or in float32 only.
  for (const auto& replay : {StepReplay{"cpu", "float16", false}, StepReplay{"cuda:0", "float32", false}}) {
    auto r = gradient_event({replay});
    r.classify();
    EXPECT_EQ(r.cause, NonFiniteCause::Unknown) << replay.device << " " << replay.precision;
  }
  // No replay at all (no loss function, a weight event): not transient either.
  auto none = gradient_event({});
  none.classify();
  EXPECT_NE(none.cause, NonFiniteCause::Transient);
  auto weight = gradient_event({{"cuda:0", "float16", false}});
  weight.stage = "weight";
  weight.classify();
  EXPECT_NE(weight.cause, NonFiniteCause::Transient);
}

TEST(ReplayCause, NonFiniteOnTheDeviceOnlyIsItsKernel) {
  auto r = gradient_event({{"cuda:0", "float16", true}, {"cpu", "float32", false}, {"cpu", "float16", false}});
  r.op = first_nonfinite_op([] { torch::log(torch::zeros({2})); });
  r.device_only = "cuda:0";
  r.classify();
  EXPECT_EQ(r.cause, NonFiniteCause::DeviceKernel);
  EXPECT_NE(r.reason.find("non-finite on cuda:0, finite on the CPU in the same precision"), std::string::npos)
      << r.reason;
  EXPECT_NE(r.text().find("replayed on cuda:0 in float16: non-finite again"), std::string::npos) << r.text();
}

TEST(ReplayCause, AnInjectionOfTheFirstRunsIsJudgedByTheReplays) {
  auto once = gradient_event({{"cuda:0", "float16", false}});
  once.injected = "gradient:nan:once";
  once.classify();
  EXPECT_EQ(once.cause, NonFiniteCause::Transient);
  EXPECT_NE(once.reason.find("guard.inject put nan into the gradient at step 12, on its first run only"),
            std::string::npos)
      << once.reason;
  auto twice = gradient_event({{"cuda:0", "float16", false}});
  twice.injected = "loss:inf:2";
  twice.classify();
  EXPECT_NE(twice.reason.find("put inf into the loss at step 12, on its first 2 runs"), std::string::npos) << twice.reason;
  auto every = gradient_event({{"cuda:0", "float16", false}});
  every.injected = "gradient:nan";
  every.classify();
  EXPECT_EQ(every.cause, NonFiniteCause::Injected);
  EXPECT_EQ(every.reason, "guard.inject put nan into the gradient at step 12");
}

}  // namespace
}  // namespace depthguard
