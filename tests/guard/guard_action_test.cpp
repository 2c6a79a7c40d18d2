#include "depthguard/guard/guard_action.h"

#include <gtest/gtest.h>

namespace depthguard {
namespace {

constexpr GuardStage kStages[] = {GuardStage::Input, GuardStage::Loss, GuardStage::Gradient, GuardStage::Weight};

TEST(DecideAction, HaltPolicyAlwaysHalts) {
  for (const auto stage : kStages) {
    for (const int64_t consecutive : {1, 2, 100}) {
      EXPECT_EQ(decide_action(GuardPolicy::Halt, stage, consecutive, 5), GuardAction::Halt);
    }
  }
}

TEST(DecideAction, SkipDropsTheUpdateButRestoresAtTheWeightStage) {
  EXPECT_EQ(decide_action(GuardPolicy::Skip, GuardStage::Input, 1, 5), GuardAction::Skip);
  EXPECT_EQ(decide_action(GuardPolicy::Skip, GuardStage::Loss, 1, 5), GuardAction::Skip);
  EXPECT_EQ(decide_action(GuardPolicy::Skip, GuardStage::Gradient, 1, 5), GuardAction::Skip);
  // The optimiser has already applied the update: only the snapshot undoes it.
  EXPECT_EQ(decide_action(GuardPolicy::Skip, GuardStage::Weight, 1, 5), GuardAction::Rollback);
}

TEST(DecideAction, RollbackRollsBackAtEveryStage) {
  for (const auto stage : kStages) EXPECT_EQ(decide_action(GuardPolicy::Rollback, stage, 1, 5), GuardAction::Rollback);
}

TEST(DecideAction, HaltsOnceTheEventsInARowPassMaxSkips) {
  for (const auto policy : {GuardPolicy::Skip, GuardPolicy::Rollback}) {
    EXPECT_NE(decide_action(policy, GuardStage::Loss, 5, 5), GuardAction::Halt);
    EXPECT_EQ(decide_action(policy, GuardStage::Loss, 6, 5), GuardAction::Halt);
  }
}

TEST(DecideAction, Edges) {
  // max_skips 0: the first event halts; a negative bound behaves as 0.
  EXPECT_EQ(decide_action(GuardPolicy::Skip, GuardStage::Input, 1, 0), GuardAction::Halt);
  EXPECT_EQ(decide_action(GuardPolicy::Skip, GuardStage::Input, 1, -3), GuardAction::Halt);
  // consecutive <= 0 counts as the first event.
  EXPECT_EQ(decide_action(GuardPolicy::Skip, GuardStage::Input, 0, 1), GuardAction::Skip);
  EXPECT_EQ(decide_action(GuardPolicy::Skip, GuardStage::Input, -1, 0), GuardAction::Halt);
}

TEST(DecideAction, EveryActionHasAName) {
  EXPECT_EQ(choice_name(guard_action_choices(), GuardAction::Skip), "skip");
  EXPECT_EQ(choice_name(guard_action_choices(), GuardAction::Rollback), "rollback");
  EXPECT_EQ(choice_name(guard_action_choices(), GuardAction::Halt), "halt");
  EXPECT_EQ(choice_name(guard_action_choices(), GuardAction::Retry), "retry");
}

TEST(DecideTransientAction, RetryOnceThenThePolicy) {
  for (const auto policy : {GuardPolicy::Skip, GuardPolicy::Rollback, GuardPolicy::Halt}) {
    EXPECT_EQ(decide_transient_action(TransientPolicy::Retry, policy, GuardStage::Gradient, 1, 5, false),
              GuardAction::Retry);
    EXPECT_EQ(decide_transient_action(TransientPolicy::Retry, policy, GuardStage::Gradient, 2, 5, true),
              decide_action(policy, GuardStage::Gradient, 2, 5));
  }
}

TEST(DecideTransientAction, SkipAndHaltWhateverThePolicy) {
  for (const auto policy : {GuardPolicy::Skip, GuardPolicy::Rollback, GuardPolicy::Halt}) {
    EXPECT_EQ(decide_transient_action(TransientPolicy::Skip, policy, GuardStage::Loss, 1, 5, false), GuardAction::Skip);
    EXPECT_EQ(decide_transient_action(TransientPolicy::Halt, policy, GuardStage::Loss, 1, 5, false), GuardAction::Halt);
  }
  // Skipping transients still halts past max_skips (0: the first).
  EXPECT_EQ(decide_transient_action(TransientPolicy::Skip, GuardPolicy::Skip, GuardStage::Loss, 1, 0, false),
            GuardAction::Halt);
  EXPECT_EQ(choice_name(transient_policy_choices(), TransientPolicy::Retry), "retry");
}

}  // namespace
}  // namespace depthguard
