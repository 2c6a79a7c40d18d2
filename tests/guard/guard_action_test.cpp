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

TEST(DecideAutoAction, SkipsWhatTheBatchBroke) {
  for (const auto cause : {NonFiniteCause::EmptyMask, NonFiniteCause::NonFiniteInput, NonFiniteCause::SqrtAtZero,
                           NonFiniteCause::Variance, NonFiniteCause::DivisionByZero, NonFiniteCause::Injected,
                           NonFiniteCause::Transient, NonFiniteCause::DeviceKernel, NonFiniteCause::Unknown}) {
    for (const auto stage : {GuardStage::Loss, GuardStage::Gradient}) {
      const auto d = decide_auto_action(stage, cause, 1, 5);
      EXPECT_EQ(d.action, GuardAction::Skip) << choice_name(nonfinite_cause_choices(), cause);
      EXPECT_EQ(d.reason, choice_name(nonfinite_cause_choices(), cause) + " is the batch's");
    }
  }
  EXPECT_EQ(decide_auto_action(GuardStage::Input, std::nullopt, 1, 5).action, GuardAction::Skip);
  EXPECT_EQ(decide_auto_action(GuardStage::Input, std::nullopt, 1, 5).reason, "the batch itself is non-finite");
  // No cause known (a later, uninvestigated event): the batch's until it comes back.
  EXPECT_EQ(decide_auto_action(GuardStage::Loss, std::nullopt, 1, 5).action, GuardAction::Skip);
}

TEST(DecideAutoAction, RollsBackWhatTheWeightsBroke) {
  for (const auto cause : {NonFiniteCause::LogOfSigmoid, NonFiniteCause::Exploding, NonFiniteCause::Overflow,
                           NonFiniteCause::Precision}) {
    const auto d = decide_auto_action(GuardStage::Loss, cause, 1, 5);
    EXPECT_EQ(d.action, GuardAction::Rollback);
    EXPECT_EQ(d.reason, choice_name(nonfinite_cause_choices(), cause) + " persists in the weights");
  }
  const auto weight = decide_auto_action(GuardStage::Weight, NonFiniteCause::Unknown, 1, 5);
  EXPECT_EQ(weight.action, GuardAction::Rollback);
  EXPECT_EQ(weight.reason, "the update made the weights non-finite");
}

TEST(DecideAutoAction, ACauseThatComesBackOnTheNextBatchIsRolledBack) {
  const auto d = decide_auto_action(GuardStage::Loss, NonFiniteCause::EmptyMask, 2, 5);
  EXPECT_EQ(d.action, GuardAction::Rollback);
  EXPECT_EQ(d.reason, "empty_mask came back on the next batch");
  EXPECT_EQ(decide_auto_action(GuardStage::Input, std::nullopt, 3, 5).reason, "a non-finite value came back on the next batch");
}

TEST(DecideAutoAction, HaltsPastMaxSkipsAsEveryPolicy) {
  EXPECT_EQ(decide_auto_action(GuardStage::Loss, NonFiniteCause::LogOfSigmoid, 5, 5).action, GuardAction::Rollback);
  const auto d = decide_auto_action(GuardStage::Loss, NonFiniteCause::LogOfSigmoid, 6, 5);
  EXPECT_EQ(d.action, GuardAction::Halt);
  EXPECT_EQ(d.reason, "6 non-finite steps in a row, more than max_skips 5");
  // Edges as decide_action's: max_skips 0 halts the first event; consecutive <= 0 is the first.
  EXPECT_EQ(decide_auto_action(GuardStage::Loss, NonFiniteCause::EmptyMask, 1, 0).action, GuardAction::Halt);
  EXPECT_EQ(decide_auto_action(GuardStage::Loss, NonFiniteCause::EmptyMask, 0, 1).action, GuardAction::Skip);
  // decide_action's auto is the rules with no cause known.
  EXPECT_EQ(decide_action(GuardPolicy::Auto, GuardStage::Loss, 1, 5), GuardAction::Skip);
  EXPECT_EQ(decide_action(GuardPolicy::Auto, GuardStage::Loss, 2, 5), GuardAction::Rollback);
  EXPECT_EQ(decide_action(GuardPolicy::Auto, GuardStage::Weight, 1, 5), GuardAction::Rollback);
}

TEST(DecideTransientAction, AutoSkipsATransientThatComesBackOnItsRetry) {
  EXPECT_EQ(decide_transient_action(TransientPolicy::Retry, GuardPolicy::Auto, GuardStage::Loss, 1, 5, false),
            GuardAction::Retry);
  EXPECT_EQ(decide_transient_action(TransientPolicy::Retry, GuardPolicy::Auto, GuardStage::Loss, 2, 5, true),
            GuardAction::Skip);
  EXPECT_EQ(decide_transient_action(TransientPolicy::Retry, GuardPolicy::Auto, GuardStage::Loss, 6, 5, true),
            GuardAction::Halt);
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
