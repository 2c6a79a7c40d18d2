// Spike warnings in the Sentinel: told as they happen, carried into a later event's report,
// and nothing in the training changes.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "depthguard/guard/sentinel.h"

namespace depthguard {
namespace {

// Least squares on a fixed problem; at `jump` the loss is scaled 100x (its gradient norm
// too), and from `fail` on the loss is the log of a negative number.
struct Regression {
  explicit Regression(GuardOptions options) : sentinel(*net, optimizer, options) { sentinel.start(0); }
  void train(int64_t steps, int64_t jump, int64_t fail) {
    torch::manual_seed(1);
    const auto x = torch::randn({32, 4}), y = torch::randn({32, 1});
    for (int64_t i = 0; i < steps; ++i) {
      const int64_t step = sentinel.step();
      const auto loss_fn = [&] {
        const auto l = torch::mse_loss(net->forward(x), y) * (step == jump ? 100.0 : 1.0);
        return step >= fail ? torch::log(l - l - 1) : l;
      };
      sentinel.begin_step({}, loss_fn);
      sentinel.expect_inputs({}, true);
      optimizer.zero_grad();
      const auto loss = loss_fn();
      loss.backward();
      StepFigures figures;
      figures.loss = loss.detach();
      if (!sentinel.check_step(figures)) continue;
      optimizer.step();
      sentinel.end_step(0.01);
    }
  }
  int seeded = (torch::manual_seed(0), 0);  // before the weights are drawn
  torch::nn::Linear net{4, 1};
  torch::optim::SGD optimizer{net->parameters(), torch::optim::SGDOptions(0.01)};
  Sentinel sentinel;
};

TEST(SentinelSpikes, AJumpIsWarnedAndNamedInTheNextEventsReport) {
  Regression run(GuardOptions().policy(GuardPolicy::Halt));
  std::vector<Spike> told;
  run.sentinel.on_spike([&](const Spike& s) { told.push_back(s); });
  EXPECT_THROW(run.train(40, 30, 33), NonFiniteHalt);
  ASSERT_FALSE(told.empty());
  EXPECT_EQ(told.front().step, 30);
  EXPECT_GT(told.front().ratio(), 20);
  EXPECT_EQ(run.sentinel.spike_count(), static_cast<int64_t>(told.size()));
  const auto& report = run.sentinel.first_investigation()->report;
  ASSERT_FALSE(report.spikes.empty());
  EXPECT_EQ(report.spikes.front().step, 30);
  EXPECT_NE(report.text().find("warned 3 step(s) before: "), std::string::npos) << report.text();
}

TEST(SentinelSpikes, WarningsChangeNothingAndZeroTurnsThemOff) {
  Regression warned(GuardOptions{}), quiet(GuardOptions().spike_ratio(0));
  warned.train(40, 30, 1000);
  quiet.train(40, 30, 1000);
  EXPECT_GT(warned.sentinel.spike_count(), 0);
  EXPECT_EQ(quiet.sentinel.spike_count(), 0);
  EXPECT_TRUE(torch::equal(warned.net->weight, quiet.net->weight));
  EXPECT_EQ(warned.sentinel.device_reads(), quiet.sentinel.device_reads()) << "no read of their own";
}

}  // namespace
}  // namespace depthguard
