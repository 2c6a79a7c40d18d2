// The Sentinel on its own, around a loop written in plain LibTorch (no depthguard model,
// loss or trainer): each check, each action, the counters and the default forensics.
#include "depthguard/guard/sentinel.h"

#include <limits>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "depthguard/core/errors.h"
#include "depthguard/guard/module_state.h"
#include "depthguard/guard/op_scope.h"
#include "test_support.h"

namespace depthguard {
namespace {

using testing::kNaN;

// y = w x + b with one BatchNorm, so buffers take part too.
struct Net : torch::nn::Module {
  Net() {
    linear = register_module("linear", torch::nn::Linear(3, 1));
    norm = register_module("norm", torch::nn::BatchNorm1d(1));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    OpScope scope("net");
    return norm(linear(x));
  }
  torch::nn::Linear linear{nullptr};
  torch::nn::BatchNorm1d norm{nullptr};
};

struct Loop {
  explicit Loop(GuardOptions options) : optimizer(net.parameters(), torch::optim::SGDOptions(0.1)),
                                        sentinel(net, optimizer, options) {
    torch::manual_seed(0);
    sentinel.start(0);
  }

  // A batch; `poison` "input" puts a NaN into it.
  std::pair<torch::Tensor, torch::Tensor> batch(const std::string& poison) {
    auto x = torch::randn({4, 3});
    const auto y = torch::randn({4, 1});
    if (poison == "input") x[0][0] = kNaN;
    return {x, y};
  }

  // The loss, NaN (log of -1) when `poison` is "loss".
  torch::Tensor loss_of(const torch::Tensor& x, const torch::Tensor& y, const std::string& poison) {
    auto l = torch::mse_loss(net.forward(x), y);
    return poison == "loss" ? torch::log(l - l - 1) : l;
  }

  void poison_gradient_or_weight(const std::string& poison) {
    torch::NoGradGuard no_grad;
    if (poison == "gradient" && net.linear->weight.grad().defined()) net.linear->weight.grad()[0][0] = kNaN;
    if (poison == "weight") net.linear->bias[0] = kNaN;
  }

  // One guarded step, one check per stage; `poison` puts a NaN into the stage it names.
  bool step(const std::string& poison = "") {
    const auto [x, y] = batch(poison);
    sentinel.begin_step({"a", "b", "c", "d"}, [&, x = x, y = y] { return loss_of(x, y, poison); });
    if (!sentinel.check_inputs({x, y})) return false;
    optimizer.zero_grad();
    const auto loss = loss_of(x, y, poison);
    if (!sentinel.check_loss(loss.item<double>())) return false;
    loss.backward();
    if (poison == "gradient") poison_gradient_or_weight(poison);
    if (!sentinel.check_gradients()) return false;
    optimizer.step();
    if (poison == "weight") poison_gradient_or_weight(poison);
    if (!sentinel.check_weights()) return false;
    sentinel.end_step(0.1);
    return true;
  }

  // The same step checked with one device read (check_step); the weights one step late.
  bool step_in_one_read(const std::string& poison = "") {
    const auto [x, y] = batch(poison);
    sentinel.begin_step({"a", "b", "c", "d"}, [&, x = x, y = y] { return loss_of(x, y, poison); });
    sentinel.expect_inputs({x, y}, poison != "input");
    optimizer.zero_grad();
    const auto loss = loss_of(x, y, poison);
    loss.backward();
    if (poison == "gradient") poison_gradient_or_weight(poison);
    StepFigures figures;
    figures.loss = loss.detach();
    figures.along = {loss.detach() * 2};
    if (!sentinel.check_step(figures)) return false;
    optimizer.step();
    if (poison == "weight") poison_gradient_or_weight(poison);
    return sentinel.end_step(0.1);
  }

  Net net;
  torch::optim::SGD optimizer;
  Sentinel sentinel;
};

TEST(Sentinel, HealthyStepsAdvanceWithoutEvents) {
  Loop loop(GuardOptions{});
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(loop.step());
  EXPECT_EQ(loop.sentinel.step(), 3);
  EXPECT_TRUE(loop.sentinel.events().empty());
  EXPECT_GT(loop.sentinel.grad_norm(), 0);
  EXPECT_GT(loop.sentinel.weight_norm(), 0);
}

// (A gradient poisoned after backward is gone when the step is replayed: a transient event,
// skipped here by on_transient skip; sentinel_transient_test.cpp retries it.)
TEST(Sentinel, SkipDropsTheStepAndLeavesTheWeightsAlone) {
  for (const std::string stage : {"input", "loss", "gradient"}) {
    Loop loop(GuardOptions().forensics(false).on_transient(TransientPolicy::Skip));
    ASSERT_TRUE(loop.step());
    const auto before = loop.net.linear->weight.clone();
    EXPECT_FALSE(loop.step(stage)) << stage;
    EXPECT_TRUE(torch::equal(before, loop.net.linear->weight)) << stage;
    ASSERT_EQ(loop.sentinel.events().size(), 1u);
    const auto& e = loop.sentinel.events()[0];
    EXPECT_EQ(choice_name(guard_stage_choices(), e.stage), stage);
    EXPECT_EQ(e.action, GuardAction::Skip);
    EXPECT_EQ(e.transient, stage == "gradient") << stage;
    EXPECT_EQ(e.step, 1);
    EXPECT_EQ(e.samples.size(), 4u);
    EXPECT_EQ(loop.sentinel.step(), 1);
    EXPECT_EQ(loop.sentinel.nonfinite_steps(), 1);
    EXPECT_TRUE(loop.step()) << "the loop goes on after " << stage;
  }
}

TEST(Sentinel, AWeightEventRestoresTheSnapshotIncludingBuffers) {
  Loop loop(GuardOptions().forensics(false).policy(GuardPolicy::Skip).snapshot_interval(2));
  ASSERT_TRUE(loop.step());
  ASSERT_TRUE(loop.step());  // snapshot at step 2
  const auto weight = loop.net.linear->weight.clone();
  const auto running_mean = loop.net.norm->running_mean.clone();
  EXPECT_FALSE(loop.step("weight"));
  EXPECT_EQ(loop.sentinel.events()[0].action, GuardAction::Rollback);
  EXPECT_EQ(loop.sentinel.step(), 2);
  EXPECT_TRUE(torch::equal(weight, loop.net.linear->weight));
  EXPECT_TRUE(torch::equal(running_mean, loop.net.norm->running_mean));
  EXPECT_EQ(loop.sentinel.lr_scale(), 1);  // skip restores without lowering the rate
}

// The default, auto: a weight event rolls back with the backoff, and its event says why; a
// loss event with no cause known is skipped, and rolled back when it comes back.
TEST(Sentinel, AutoRollsBackWeightsAndWhatComesBackAndSkipsTheRest) {
  Loop loop(GuardOptions().forensics(false).snapshot_interval(2));
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(loop.step());
  EXPECT_FALSE(loop.step("weight"));
  EXPECT_EQ(loop.sentinel.events()[0].action, GuardAction::Rollback);
  EXPECT_EQ(loop.sentinel.events()[0].reason, "the update made the weights non-finite");
  EXPECT_EQ(loop.sentinel.lr_scale(), 0.5);
  ASSERT_TRUE(loop.step());
  EXPECT_FALSE(loop.step("loss"));
  EXPECT_EQ(loop.sentinel.events()[1].action, GuardAction::Skip);
  EXPECT_EQ(loop.sentinel.step(), 3);
  EXPECT_FALSE(loop.step("loss"));
  EXPECT_EQ(loop.sentinel.events()[2].action, GuardAction::Rollback);
  EXPECT_EQ(loop.sentinel.events()[2].reason, "a non-finite value came back on the next batch");
  EXPECT_EQ(loop.sentinel.step(), 2);
  EXPECT_EQ(loop.sentinel.lr_scale(), 0.25);
}

TEST(Sentinel, RollbackGoesBackToTheSnapshotStepAndScalesTheRate) {
  Loop loop(GuardOptions().forensics(false).policy(GuardPolicy::Rollback).snapshot_interval(2).lr_factor(0.25));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(loop.step());
  EXPECT_FALSE(loop.step("loss"));
  EXPECT_EQ(loop.sentinel.step(), 2);
  EXPECT_EQ(loop.sentinel.lr_scale(), 0.25);
}

TEST(Sentinel, HaltThrowsNamingStepStageSamplesAndPolicy) {
  Loop loop(GuardOptions().forensics(false).policy(GuardPolicy::Halt));
  ASSERT_TRUE(loop.step());
  const auto message = testing::error_message<NonFiniteHalt>([&] { loop.step("loss"); });
  EXPECT_NE(message.find("step 1: non-finite loss (samples a, b, c, d)"), std::string::npos) << message;
  EXPECT_NE(message.find("policy halt, 1 non-finite step(s) in a row"), std::string::npos) << message;
  EXPECT_EQ(loop.sentinel.events().size(), 1u);  // recorded before the throw
}

TEST(Sentinel, TooManyEventsInARowHalt) {
  Loop loop(GuardOptions().forensics(false).max_skips(2));
  EXPECT_FALSE(loop.step("input"));
  EXPECT_FALSE(loop.step("input"));
  const auto message = testing::error_message<NonFiniteHalt>([&] { loop.step("input"); });
  EXPECT_NE(message.find("3 non-finite step(s) in a row"), std::string::npos) << message;
}

TEST(Sentinel, EventsReachTheSinkBeforeTheActionAndOnlyTheFirstIsInvestigated) {
  Loop loop(GuardOptions{});
  std::vector<NonFiniteEvent> seen;
  loop.sentinel.on_event([&](const NonFiniteEvent& e) { seen.push_back(e); });
  EXPECT_FALSE(loop.step("loss"));
  EXPECT_FALSE(loop.step("input"));
  ASSERT_EQ(seen.size(), 2u);
  ASSERT_TRUE(seen[0].cause);
  EXPECT_FALSE(seen[1].cause);
  ASSERT_TRUE(loop.sentinel.first_investigation());
  EXPECT_EQ(loop.sentinel.first_investigation()->location, "");
}

TEST(Sentinel, DefaultForensicsFindsTheProducerAndLeavesTheRunAsItWas) {
  // The same three steps with and without forensics, from the same random stream.
  const auto run = [](Loop& loop) {
    ASSERT_TRUE(loop.step());
    EXPECT_FALSE(loop.step("loss"));
    ASSERT_TRUE(loop.step());
  };
  torch::manual_seed(0);
  Loop watched(GuardOptions{});
  run(watched);
  torch::manual_seed(0);
  Loop plain(GuardOptions().forensics(false));
  run(plain);
  const auto& report = watched.sentinel.first_investigation()->report;
  ASSERT_TRUE(report.op);
  EXPECT_EQ(report.op->op, "aten::log");  // the producer, not an operator after it
  EXPECT_EQ(report.stage, "loss");
  EXPECT_EQ(report.history.size(), 1u);
  // The replay ran the forward pass again; BatchNorm's statistics, the weights and the
  // random stream are as in the run that was not investigated.
  EXPECT_TRUE(torch::equal(watched.net.norm->running_mean, plain.net.norm->running_mean));
  EXPECT_TRUE(torch::equal(watched.net.linear->weight, plain.net.linear->weight));
}

TEST(Sentinel, DefaultForensicsNamesNonFiniteInputsAndWeights) {
  Loop input(GuardOptions{});
  EXPECT_FALSE(input.step("input"));
  const auto& findings = input.sentinel.first_investigation()->report.findings;
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].rfind("input 0 holds 1 NaN", 0), 0u) << findings[0];

  Loop weight(GuardOptions{});
  EXPECT_FALSE(weight.step("weight"));
  const auto& named = weight.sentinel.first_investigation()->report.findings;
  ASSERT_FALSE(named.empty());
  EXPECT_EQ(named[0].rfind("parameter linear.bias: 1 NaN", 0), 0u) << named[0];
}

TEST(SentinelOneRead, TrainsExactlyAsTheChecksOneByOneWithOneReadPerStep) {
  // The same five steps from the same random stream, each way.
  std::vector<double> losses, grad_norms;
  torch::manual_seed(0);
  Loop one_by_one(GuardOptions{});
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(one_by_one.step());
    losses.push_back(one_by_one.sentinel.loss());
    grad_norms.push_back(one_by_one.sentinel.grad_norm());
  }
  torch::manual_seed(0);
  Loop one_read(GuardOptions{});
  for (size_t i = 0; i < 5; ++i) {
    ASSERT_TRUE(one_read.step_in_one_read());
    EXPECT_DOUBLE_EQ(one_read.sentinel.loss(), losses[i]);
    EXPECT_DOUBLE_EQ(one_read.sentinel.grad_norm(), grad_norms[i]);
    EXPECT_DOUBLE_EQ(one_read.sentinel.along().at(0), 2 * losses[i]);
  }
  EXPECT_EQ(one_read.sentinel.device_reads(), 5);
  EXPECT_EQ(one_by_one.sentinel.device_reads(), 0);  // only the one-read path counts
  EXPECT_TRUE(torch::equal(one_read.net.linear->weight, one_by_one.net.linear->weight));
  EXPECT_TRUE(torch::equal(one_read.net.norm->running_var, one_by_one.net.norm->running_var));
  // The last update's weight check is still queued; settle reads it (and only once).
  EXPECT_TRUE(one_read.sentinel.settle());
  EXPECT_TRUE(one_read.sentinel.settle());
  EXPECT_EQ(one_read.sentinel.device_reads(), 6);
  EXPECT_DOUBLE_EQ(one_read.sentinel.weight_norm(), one_by_one.sentinel.weight_norm());
}

TEST(SentinelOneRead, InputLossAndGradientEventsAreHandledAtTheirStep) {
  for (const std::string stage : {"input", "loss", "gradient"}) {
    Loop loop(GuardOptions().forensics(false).on_transient(TransientPolicy::Skip));
    ASSERT_TRUE(loop.step_in_one_read());
    const auto weight = loop.net.linear->weight.clone();
    const auto running_mean = loop.net.norm->running_mean.clone();
    EXPECT_FALSE(loop.step_in_one_read(stage)) << stage;
    ASSERT_EQ(loop.sentinel.events().size(), 1u) << stage;
    const auto& e = loop.sentinel.events()[0];
    EXPECT_EQ(choice_name(guard_stage_choices(), e.stage), stage);
    EXPECT_EQ(e.step, 1);
    EXPECT_EQ(e.action, GuardAction::Skip);
    EXPECT_TRUE(torch::equal(weight, loop.net.linear->weight)) << stage;
    if (stage == "input") {  // the forward pass over the NaN batch ran; its statistics are put back
      EXPECT_TRUE(torch::equal(running_mean, loop.net.norm->running_mean));
    }
    EXPECT_TRUE(loop.step_in_one_read()) << "the loop goes on after " << stage;
  }
}

TEST(SentinelOneRead, NonFiniteWeightsAreTheEventOfTheUpdateFoundWithTheNextRead) {
  Loop loop(GuardOptions().forensics(false));
  ASSERT_TRUE(loop.step_in_one_read());
  ASSERT_TRUE(loop.step_in_one_read());
  const auto weight = loop.net.linear->weight.clone();
  const auto reads = loop.sentinel.device_reads();
  EXPECT_TRUE(loop.step_in_one_read("weight"));  // queued, not read yet
  EXPECT_EQ(loop.sentinel.step(), 3);
  EXPECT_EQ(loop.sentinel.device_reads(), reads + 1);  // its own figures' read only
  EXPECT_FALSE(loop.step_in_one_read());  // the next step's read finds it
  ASSERT_EQ(loop.sentinel.events().size(), 1u);
  const auto& e = loop.sentinel.events()[0];
  EXPECT_EQ(e.stage, GuardStage::Weight);
  EXPECT_EQ(e.step, 2);  // the update that made them
  EXPECT_EQ(e.action, GuardAction::Rollback);
  EXPECT_EQ(e.samples.size(), 4u);
  EXPECT_EQ(loop.sentinel.step(), 0);  // the snapshot of step 0
  EXPECT_FALSE(torch::equal(weight, loop.net.linear->weight));
  EXPECT_TRUE(torch::isfinite(loop.net.linear->bias).all().item<bool>());
}

TEST(SentinelOneRead, SettleAndADueSnapshotReadTheQueuedCheckAtOnce) {
  Loop settled(GuardOptions().forensics(false));
  ASSERT_TRUE(settled.step_in_one_read());
  EXPECT_TRUE(settled.step_in_one_read("weight"));
  EXPECT_FALSE(settled.sentinel.settle());
  EXPECT_EQ(settled.sentinel.events().at(0).step, 1);
  EXPECT_TRUE(settled.sentinel.settle());  // nothing queued any more

  Loop snapshot(GuardOptions().forensics(false).snapshot_interval(2));
  ASSERT_TRUE(snapshot.step_in_one_read());
  EXPECT_FALSE(snapshot.step_in_one_read("weight"));  // a snapshot is due at step 2: read first
  EXPECT_EQ(snapshot.sentinel.events().at(0).step, 1);
  EXPECT_EQ(snapshot.sentinel.step(), 0);  // the non-finite state was never snapshotted
}

TEST(SentinelOneRead, AsksTheConsensusOncePerStepAndNamesTheRanks) {
  Loop loop(GuardOptions{});
  int64_t asked = 0, other_rank = 0;
  loop.sentinel.agree_with([&](int64_t here) {
    ++asked;
    return std::vector<int64_t>{here, other_rank};
  });
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(loop.step_in_one_read());
  EXPECT_EQ(asked, 3);
  other_rank = stage_flag(GuardStage::Loss) | (int64_t{1} << 20);  // bits above the stages are ignored
  EXPECT_FALSE(loop.step_in_one_read());
  EXPECT_EQ(asked, 5);  // the event asks once more, for the replays' answers (transient or not)
  const auto& e = loop.sentinel.events().at(0);
  EXPECT_EQ(e.stage, GuardStage::Loss);
  EXPECT_EQ(e.ranks, std::vector<int64_t>({1}));
  EXPECT_FALSE(e.cause);  // this rank did not see the value: the rank that did investigates
}

TEST(SentinelOneRead, ARoutineScaleOverflowIsCountedNotAnEvent) {
  Loop loop(GuardOptions{});
  std::vector<ScaleOverflow> overflows;
  loop.sentinel.on_scale_overflow([&](const ScaleOverflow& o) { overflows.push_back(o); });
  loop.sentinel.begin_step({"a"});
  loop.sentinel.expect_inputs({}, true);
  loop.optimizer.zero_grad();
  const auto loss = torch::mse_loss(loop.net.forward(torch::randn({4, 3})), torch::zeros({4, 1}));
  loss.backward();
  StepFigures figures;
  figures.loss = loss.detach();
  figures.overflowed = torch::ones({1});
  figures.back_off = [] { return 512.0; };
  EXPECT_FALSE(loop.sentinel.check_step(figures));
  EXPECT_EQ(loop.sentinel.scale_overflows(), 1);
  EXPECT_TRUE(loop.sentinel.events().empty());
  ASSERT_EQ(overflows.size(), 1u);
  EXPECT_EQ(overflows[0].scale, 512.0);
  EXPECT_FALSE(loop.net.linear->weight.grad().defined() && loop.net.linear->weight.grad().abs().sum().item<double>() > 0);
}

TEST(SentinelOneRead, RequiresTheLoss) {
  Loop loop(GuardOptions{});
  loop.sentinel.begin_step();
  EXPECT_NE(testing::error_message<c10::Error>([&] { loop.sentinel.check_step({}); }).find("check_step: loss must be defined"),
            std::string::npos);
  StepFigures no_back_off;
  no_back_off.loss = torch::zeros({});
  no_back_off.overflowed = torch::zeros({1});
  EXPECT_NE(testing::error_message<c10::Error>([&] { loop.sentinel.check_step(no_back_off); }).find("back_off"),
            std::string::npos);
}

TEST(Sentinel, RejectsBadOptionsByTheirNames) {
  Net net;
  torch::optim::SGD optimizer(net.parameters(), torch::optim::SGDOptions(0.1));
  EXPECT_NE(testing::error_message<c10::Error>([&] { Sentinel s(net, optimizer, GuardOptions().max_skips(-1)); })
                .find("max_skips"),
            std::string::npos);
  EXPECT_NE(testing::error_message<c10::Error>([&] { Sentinel s(net, optimizer, GuardOptions().snapshot_interval(0)); })
                .find("snapshot_interval"),
            std::string::npos);
  EXPECT_NE(testing::error_message<c10::Error>([&] { Sentinel s(net, optimizer, GuardOptions().lr_factor(2)); })
                .find("lr_factor"),
            std::string::npos);
  EXPECT_NE(testing::error_message<c10::Error>([&] { Sentinel s(net, optimizer, GuardOptions().replays(0)); })
                .find("replays"),
            std::string::npos);
  EXPECT_NE(testing::error_message<c10::Error>([&] { Sentinel s(net, optimizer, GuardOptions().spike_ratio(1)); })
                .find("spike_ratio must be 0 (off) or > 1"),
            std::string::npos);
  EXPECT_NE(testing::error_message<c10::Error>([&] { Sentinel s(net, optimizer, GuardOptions().spike_window(0)); })
                .find("spike_window"),
            std::string::npos);
}

// Another owner's training state (the Python package's kind): the sentinel drops updates,
// snapshots and restores only through it, and names its tensors by the owner's names.
struct OwnersState : ModuleState {
  using ModuleState::ModuleState;
  std::vector<NamedTensor> named_parameters() override {
    auto named = ModuleState::named_parameters();
    for (auto& [name, t] : named) name = "owner." + name;
    return named;
  }
  void discard_update() override {
    ++discarded;
    ModuleState::discard_update();
  }
  void take_snapshot() override {
    ++taken;
    ModuleState::take_snapshot();
  }
  void restore_snapshot() override {
    ++restored;
    ModuleState::restore_snapshot();
  }
  int discarded = 0, taken = 0, restored = 0;
};

TEST(Sentinel, WatchesAnotherOwnersStateThroughItsInterface) {
  torch::manual_seed(0);
  Net net;
  torch::optim::SGD optimizer(net.parameters(), torch::optim::SGDOptions(0.1));
  auto state = std::make_shared<OwnersState>(net, optimizer);
  Sentinel sentinel(state, GuardOptions().policy(GuardPolicy::Rollback).snapshot_interval(2));
  sentinel.start(0);
  const auto x = torch::randn({4, 3});
  const auto y = torch::randn({4, 1});
  for (int i = 0; i < 3; ++i) {
    sentinel.begin_step();
    optimizer.zero_grad();
    torch::mse_loss(net.forward(x), y).backward();
    ASSERT_TRUE(sentinel.check_gradients());
    optimizer.step();
    if (i == 2) {
      torch::NoGradGuard no_grad;
      net.linear->bias[0] = kNaN;
    }
    if (i < 2) {
      EXPECT_TRUE(sentinel.check_weights());
      sentinel.end_step(0.1);
    }
  }
  EXPECT_FALSE(sentinel.check_weights());
  EXPECT_EQ(state->taken, 2);  // at start and at step 2
  EXPECT_EQ(state->restored, 1);
  EXPECT_EQ(state->discarded, 1);
  EXPECT_EQ(sentinel.step(), 2);
  EXPECT_TRUE(torch::isfinite(net.linear->bias).all().item<bool>());
  ASSERT_TRUE(sentinel.first_investigation());
  ASSERT_FALSE(sentinel.first_investigation()->report.findings.empty());
  EXPECT_EQ(sentinel.first_investigation()->report.findings[0].rfind("parameter owner.linear.bias", 0), 0U)
      << sentinel.first_investigation()->report.findings[0];
}

TEST(Sentinel, RefusesANullState) {
  EXPECT_NE(testing::error_message<c10::Error>([] { Sentinel s(std::shared_ptr<WatchedState>{}); }).find("state"),
            std::string::npos);
}

}  // namespace
}  // namespace depthguard
