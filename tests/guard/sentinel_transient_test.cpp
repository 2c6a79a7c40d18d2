// Model or machine: a loss or gradient event whose replay is finite is transient, and
// guard.on_transient decides (retry, skip, halt); a loop that retries trains bit for bit as
// if the fault had not happened.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "depthguard/core/errors.h"
#include "depthguard/guard/sentinel.h"
#include "test_support.h"

namespace depthguard {
namespace {

using testing::kNaN;

// Dropout (random draws a retry must repeat) and BatchNorm (buffers it must put back).
struct DropoutNet : torch::nn::Module {
  DropoutNet() {
    linear = register_module("linear", torch::nn::Linear(3, 4));
    norm = register_module("norm", torch::nn::BatchNorm1d(4));
    drop = register_module("drop", torch::nn::Dropout(0.5));
    out = register_module("out", torch::nn::Linear(4, 1));
  }
  torch::Tensor forward(const torch::Tensor& x) { return out(drop(norm(linear(x)))); }
  torch::nn::Linear linear{nullptr}, out{nullptr};
  torch::nn::BatchNorm1d norm{nullptr};
  torch::nn::Dropout drop{nullptr};
};

// A loop whose faults are the machine's: `gradient` NaN after backward, `loss` NaN in the
// figure read, on the runs `faulty` says (run 0 the first of a step, 1 its retry, ...).
// `reproducible` instead poisons the loss itself (log of -1), which a replay meets again.
struct FaultyLoop {
  explicit FaultyLoop(GuardOptions options) : sentinel(net, optimizer, options) { sentinel.start(0); }

  // Trains `steps` steps; a step is run again while the sentinel retries it.
  void train(int64_t steps, const std::function<bool(int64_t step, int run)>& faulty = {},
             const std::string& fault = "gradient") {
    while (sentinel.step() < steps) {
      const auto x = torch::randn({8, 3}), y = torch::randn({8, 1});
      for (int run = 0;; ++run) {
        const bool hit = faulty && faulty(sentinel.step(), run);
        if (step(x, y, hit ? fault : "")) break;
        if (!sentinel.retrying()) break;
      }
    }
  }

  bool step(const torch::Tensor& x, const torch::Tensor& y, const std::string& fault) {
    const auto loss_fn = [&] {
      const auto l = torch::mse_loss(net.forward(x), y);
      return fault == "reproducible" ? torch::log(l - l - 1) : l;
    };
    sentinel.begin_step({"s"}, loss_fn);
    sentinel.expect_inputs({x, y}, true);
    optimizer.zero_grad();
    const auto loss = loss_fn();
    loss.backward();
    if (fault == "gradient") {
      torch::NoGradGuard no_grad;
      net.linear->weight.grad()[0][0] = kNaN;
    }
    StepFigures figures;
    figures.loss = fault == "loss" ? torch::full({}, kNaN) : loss.detach();
    if (!sentinel.check_step(figures)) return false;
    optimizer.step();
    return sentinel.end_step(0.1);
  }

  int seeded = (torch::manual_seed(0), 0);  // before the weights are drawn
  DropoutNet net;
  torch::optim::Adam optimizer{net.parameters(), torch::optim::AdamOptions(0.01)};
  Sentinel sentinel;
  std::vector<torch::Tensor> tensors() {
    auto all = net.parameters();
    for (const auto& b : net.buffers()) all.push_back(b);
    return all;
  }
};

bool same_tensors(FaultyLoop& a, FaultyLoop& b) {
  const auto ta = a.tensors(), tb = b.tensors();
  for (size_t i = 0; i < ta.size(); ++i) {
    if (!torch::equal(ta[i], tb[i])) return false;
  }
  return ta.size() == tb.size();
}

TEST(SentinelTransient, ARetriedTransientTrainsBitForBitAsIfNothingHappened) {
  for (const std::string fault : {"gradient", "loss"}) {
    FaultyLoop clean(GuardOptions{});
    clean.train(6);
    FaultyLoop faulty(GuardOptions{});
    faulty.train(6, [](int64_t step, int run) { return step == 3 && run == 0; }, fault);
    ASSERT_EQ(faulty.sentinel.events().size(), 1u) << fault;
    const auto& e = faulty.sentinel.events()[0];
    EXPECT_EQ(e.step, 3);
    EXPECT_TRUE(e.transient) << fault;
    EXPECT_EQ(e.replayed_on, "cpu");
    EXPECT_EQ(e.action, GuardAction::Retry);
    EXPECT_EQ(faulty.sentinel.transient_steps(), 1);
    EXPECT_TRUE(same_tensors(clean, faulty)) << fault << ": weights, BatchNorm statistics or dropout masks differ";
    // The investigation's replays said so, and its report names the cause.
    const auto& report = faulty.sentinel.first_investigation()->report;
    EXPECT_EQ(report.cause, NonFiniteCause::Transient) << report.text();
    ASSERT_EQ(report.replays.size(), 1u);
    EXPECT_FALSE(report.replays[0].nonfinite);
    EXPECT_NE(report.reason.find("finite when run again on cpu (1 replay(s))"), std::string::npos) << report.reason;
  }
}

TEST(SentinelTransient, WithoutARetryTheDropoutMasksMoveOn) {
  // The same fault skipped: the next batch's step draws on from where the dropped one left
  // the generator, so the run differs; what the retry test above holds is not a given.
  FaultyLoop clean(GuardOptions{});
  clean.train(6);
  FaultyLoop skipped(GuardOptions().on_transient(TransientPolicy::Skip));
  skipped.train(6, [hits = 0](int64_t step, int) mutable { return step == 3 && hits++ == 0; });
  EXPECT_EQ(skipped.sentinel.events().at(0).action, GuardAction::Skip);
  EXPECT_TRUE(skipped.sentinel.events().at(0).transient);
  EXPECT_FALSE(same_tensors(clean, skipped));
}

TEST(SentinelTransient, AFaultThatComesBackOnRetryFollowsThePolicy) {
  FaultyLoop loop(GuardOptions().policy(GuardPolicy::Skip).forensics(false));
  loop.train(5, [hits = 0](int64_t step, int) mutable { return step == 2 && hits++ < 2; });
  const auto& events = loop.sentinel.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].action, GuardAction::Retry);
  EXPECT_EQ(events[1].step, 2);
  EXPECT_TRUE(events[1].transient);
  EXPECT_EQ(events[1].action, GuardAction::Skip);
  EXPECT_EQ(events[1].consecutive, 2);
  EXPECT_EQ(loop.sentinel.step(), 5);
}

TEST(SentinelTransient, OnTransientHaltStopsSayingSo) {
  FaultyLoop loop(GuardOptions().on_transient(TransientPolicy::Halt).forensics(false));
  const auto message = testing::error_message<NonFiniteHalt>(
      [&] { loop.train(5, [](int64_t step, int) { return step == 1; }); });
  EXPECT_NE(message.find("step 1: non-finite gradient"), std::string::npos) << message;
  EXPECT_NE(message.find("transient (finite when replayed on cpu)"), std::string::npos) << message;
  EXPECT_NE(message.find("guard.on_transient halt"), std::string::npos) << message;
}

TEST(SentinelTransient, AReproducedEventIsNotTransient) {
  FaultyLoop loop(GuardOptions().replays(3));
  loop.train(4, [hits = 0](int64_t step, int) mutable { return step == 2 && hits++ == 0; }, "reproducible");
  const auto& e = loop.sentinel.events().at(0);
  EXPECT_FALSE(e.transient);
  EXPECT_EQ(e.action, GuardAction::Skip);
  const auto& report = loop.sentinel.first_investigation()->report;
  EXPECT_EQ(report.replays.size(), 1u) << "replays stop at the first that reproduces";
  EXPECT_NE(report.cause, NonFiniteCause::Transient);
}

TEST(SentinelTransient, EveryRankTakesTheSameDecision) {
  // This rank's replay is finite; the other rank's answer decides with it. Bit 8: the other
  // rank reproduced the value; bit 9: its replay was finite too.
  for (const auto& [other, transient] : {std::pair{int64_t{1} << 9, true}, std::pair{int64_t{1} << 8, false}}) {
    FaultyLoop loop(GuardOptions().forensics(false));
    int64_t asked = 0;
    loop.sentinel.agree_with([&, other = other](int64_t here) {
      ++asked;
      return std::vector<int64_t>{here, here >= (int64_t{1} << 8) ? other : here};
    });
    loop.train(3, [hits = 0](int64_t step, int) mutable { return step == 1 && hits++ == 0; });
    ASSERT_EQ(loop.sentinel.events().size(), 1u);
    const auto& e = loop.sentinel.events()[0];
    EXPECT_EQ(e.transient, transient);
    EXPECT_EQ(e.action, transient ? GuardAction::Retry : GuardAction::Skip);
    EXPECT_EQ(asked, 5);  // four steps' reads (the retried or the skipped one twice), plus the replays' answers
  }
}

TEST(SentinelTransient, ATransientDoesNotUseUpTheForensicsOfALaterEvent) {
  FaultyLoop loop(GuardOptions{});
  loop.train(2, [hits = 0](int64_t step, int) mutable { return step == 1 && hits++ == 0; });
  EXPECT_EQ(loop.sentinel.first_investigation()->report.cause, NonFiniteCause::Transient);
  loop.train(4, [hits = 0](int64_t step, int) mutable { return step == 3 && hits++ == 0; }, "reproducible");
  ASSERT_EQ(loop.sentinel.events().size(), 2u);
  EXPECT_TRUE(loop.sentinel.events()[1].cause) << "the model's event is investigated too";
  EXPECT_EQ(loop.sentinel.first_investigation()->report.step, 3);
  EXPECT_NE(loop.sentinel.first_investigation()->report.cause, NonFiniteCause::Transient);
}

TEST(SentinelTransient, WithoutALossFunctionNothingIsCalledTransient) {
  torch::manual_seed(0);
  DropoutNet net;
  torch::optim::SGD optimizer(net.parameters(), torch::optim::SGDOptions(0.1));
  Sentinel sentinel(net, optimizer, GuardOptions{});
  sentinel.start(0);
  sentinel.begin_step({"s"});
  EXPECT_FALSE(sentinel.check_loss(kNaN));
  EXPECT_FALSE(sentinel.events().at(0).transient);
  EXPECT_EQ(sentinel.events().at(0).action, GuardAction::Skip);
}

}  // namespace
}  // namespace depthguard
