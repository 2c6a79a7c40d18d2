// The Sentinel on its own, around a loop written in plain LibTorch (no depthguard model,
// loss or trainer): each check, each action, the counters and the default forensics.
#include "depthguard/guard/sentinel.h"

#include <limits>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "depthguard/core/errors.h"
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

  // One guarded step; `poison` puts a NaN into the stage it names.
  bool step(const std::string& poison = "") {
    auto x = torch::randn({4, 3});
    const auto y = torch::randn({4, 1});
    if (poison == "input") x[0][0] = kNaN;
    const auto loss_of = [&] {
      auto l = torch::mse_loss(net.forward(x), y);
      return poison == "loss" ? torch::log(l - l - 1) : l;  // log of -1
    };
    sentinel.begin_step({"a", "b", "c", "d"}, loss_of);
    if (!sentinel.check_inputs({x, y})) return false;
    optimizer.zero_grad();
    const auto loss = loss_of();
    if (!sentinel.check_loss(loss.item<double>())) return false;
    loss.backward();
    if (poison == "gradient") net.linear->weight.grad()[0][0] = kNaN;
    if (!sentinel.check_gradients()) return false;
    optimizer.step();
    if (poison == "weight") {
      torch::NoGradGuard no_grad;
      net.linear->bias[0] = kNaN;
    }
    if (!sentinel.check_weights()) return false;
    sentinel.end_step(0.1);
    return true;
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

TEST(Sentinel, SkipDropsTheStepAndLeavesTheWeightsAlone) {
  for (const std::string stage : {"input", "loss", "gradient"}) {
    Loop loop(GuardOptions().forensics(false));
    ASSERT_TRUE(loop.step());
    const auto before = loop.net.linear->weight.clone();
    EXPECT_FALSE(loop.step(stage)) << stage;
    EXPECT_TRUE(torch::equal(before, loop.net.linear->weight)) << stage;
    ASSERT_EQ(loop.sentinel.events().size(), 1u);
    const auto& e = loop.sentinel.events()[0];
    EXPECT_EQ(choice_name(guard_stage_choices(), e.stage), stage);
    EXPECT_EQ(e.action, GuardAction::Skip);
    EXPECT_EQ(e.step, 1);
    EXPECT_EQ(e.samples.size(), 4u);
    EXPECT_EQ(loop.sentinel.step(), 1);
    EXPECT_EQ(loop.sentinel.nonfinite_steps(), 1);
    EXPECT_TRUE(loop.step()) << "the loop goes on after " << stage;
  }
}

TEST(Sentinel, AWeightEventRestoresTheSnapshotIncludingBuffers) {
  Loop loop(GuardOptions().forensics(false).snapshot_interval(2));
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

TEST(Sentinel, RollbackGoesBackToTheSnapshotStepAndScalesTheRate) {
  Loop loop(GuardOptions().forensics(false).policy(GuardPolicy::Rollback).snapshot_interval(2).lr_factor(0.25));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(loop.step());
  EXPECT_FALSE(loop.step("gradient"));
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
}

}  // namespace
}  // namespace depthguard
