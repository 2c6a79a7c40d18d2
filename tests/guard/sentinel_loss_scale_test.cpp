// The sentinel under loss scaling: an overflow the scale explains is routine (counted, the
// update dropped, no event); one that persists or drives the scale below its floor is a
// non-finite gradient event.
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "depthguard/core/errors.h"
#include "depthguard/guard/guard_options.h"
#include "depthguard/guard/sentinel.h"
#include "test_support.h"

namespace depthguard {
namespace {

struct ScaledLoop {
  explicit ScaledLoop(GuardOptions options) : optimizer(net->parameters(), torch::optim::SGDOptions(0.1)),
                                              sentinel(*net, optimizer, options.forensics(false)) {
    sentinel.on_scale_overflow([this](const ScaleOverflow& o) { overflows.push_back(o); });
    sentinel.start(0);
  }

  // One step whose scaled gradients overflowed (or not), the scale now `scale`.
  bool step(bool overflowed, double scale) {
    sentinel.begin_step();
    optimizer.zero_grad();
    const auto loss = net->forward(torch::ones({2, 3})).sum();
    if (!sentinel.check_loss(loss.item<double>())) return false;
    loss.backward();
    if (!sentinel.check_loss_scale(overflowed, scale)) return false;
    if (!sentinel.check_gradients()) return false;
    optimizer.step();
    if (!sentinel.check_weights()) return false;
    sentinel.end_step(0.1);
    return true;
  }

  torch::nn::Linear net{3, 1};
  torch::optim::SGD optimizer;
  Sentinel sentinel;
  std::vector<ScaleOverflow> overflows;
};

TEST(SentinelLossScale, ARoutineOverflowDropsTheUpdateWithoutAnEvent) {
  ScaledLoop loop{GuardOptions()};
  ASSERT_TRUE(loop.step(false, 65536));
  const auto before = loop.net->weight.clone();
  EXPECT_FALSE(loop.step(true, 32768));
  EXPECT_TRUE(torch::equal(before, loop.net->weight));  // no update
  EXPECT_EQ(loop.sentinel.step(), 1);                    // the step did not advance
  EXPECT_EQ(loop.sentinel.scale_overflows(), 1);
  EXPECT_EQ(loop.sentinel.nonfinite_steps(), 0);
  EXPECT_TRUE(loop.sentinel.events().empty());
  ASSERT_EQ(loop.overflows.size(), 1u);
  EXPECT_EQ(loop.overflows[0].step, 1);
  EXPECT_EQ(loop.overflows[0].scale, 32768);
  EXPECT_EQ(loop.overflows[0].in_a_row, 1);
  EXPECT_TRUE(loop.step(false, 32768));
  EXPECT_EQ(loop.sentinel.step(), 2);
}

TEST(SentinelLossScale, OverflowsBeyondMaxScaleBackoffsInARowAreAnEvent) {
  ScaledLoop loop(GuardOptions().max_scale_backoffs(2));
  double scale = 1024;
  EXPECT_FALSE(loop.step(true, scale /= 2));
  EXPECT_FALSE(loop.step(true, scale /= 2));
  EXPECT_TRUE(loop.sentinel.events().empty());
  EXPECT_FALSE(loop.step(true, scale /= 2));  // the third in a row
  ASSERT_EQ(loop.sentinel.events().size(), 1u);
  EXPECT_EQ(loop.sentinel.events()[0].stage, GuardStage::Gradient);
  EXPECT_EQ(loop.sentinel.nonfinite_steps(), 1);
  EXPECT_EQ(loop.sentinel.scale_overflows(), 2);
  // A good step restarts the count.
  EXPECT_TRUE(loop.step(false, scale));
  EXPECT_FALSE(loop.step(true, scale / 2));
  EXPECT_EQ(loop.overflows.back().in_a_row, 1);
}

TEST(SentinelLossScale, AScaleBelowTheFloorIsAnEventAndHaltHalts) {
  ScaledLoop skipping(GuardOptions().min_loss_scale(1));
  EXPECT_FALSE(skipping.step(true, 1.0));  // at the floor: routine
  EXPECT_TRUE(skipping.sentinel.events().empty());
  EXPECT_FALSE(skipping.step(true, 0.5));  // below it
  EXPECT_EQ(skipping.sentinel.events().size(), 1u);

  ScaledLoop halting(GuardOptions().min_loss_scale(1).policy(GuardPolicy::Halt));
  const auto message = testing::error_message<NonFiniteHalt>([&] { halting.step(true, 0.25); });
  EXPECT_NE(message.find("step 0: non-finite gradient"), std::string::npos) << message;
}

TEST(SentinelLossScale, OptionsAreChecked) {
  torch::nn::Linear net(1, 1);
  torch::optim::SGD sgd(net->parameters(), 0.1);
  EXPECT_NE(testing::error_message([&] { Sentinel s(*net, sgd, GuardOptions().min_loss_scale(-1)); }).find("min_loss_scale"),
            std::string::npos);
  EXPECT_NE(testing::error_message([&] { Sentinel s(*net, sgd, GuardOptions().max_scale_backoffs(-1)); })
                .find("max_scale_backoffs"),
            std::string::npos);
}

}  // namespace
}  // namespace depthguard
