#include "depthguard/guard/guard_action.h"

#include <algorithm>

#include <fmt/format.h>

namespace depthguard {

const ChoiceTable<GuardAction>& guard_action_choices() {
  static const ChoiceTable<GuardAction> table{
      {"skip", GuardAction::Skip}, {"rollback", GuardAction::Rollback}, {"halt", GuardAction::Halt},
      {"retry", GuardAction::Retry}};
  return table;
}

namespace {

bool past_max_skips(int64_t consecutive, int64_t max_skips) {
  return std::max<int64_t>(consecutive, 1) > std::max<int64_t>(max_skips, 0);
}

// Causes that live in the model's state: the next batch meets them again.
bool carried_by_the_weights(NonFiniteCause cause) {
  switch (cause) {
    case NonFiniteCause::LogOfSigmoid:
    case NonFiniteCause::Exploding:
    case NonFiniteCause::Overflow:
    case NonFiniteCause::Precision:
      return true;
    default:
      return false;
  }
}

}  // namespace

GuardAction decide_action(GuardPolicy policy, GuardStage stage, int64_t consecutive, int64_t max_skips) {
  if (policy == GuardPolicy::Auto) return decide_auto_action(stage, std::nullopt, consecutive, max_skips).action;
  if (policy == GuardPolicy::Halt || past_max_skips(consecutive, max_skips)) return GuardAction::Halt;
  if (policy == GuardPolicy::Rollback || stage == GuardStage::Weight) return GuardAction::Rollback;
  return GuardAction::Skip;
}

AutoDecision decide_auto_action(GuardStage stage, std::optional<NonFiniteCause> cause, int64_t consecutive,
                                int64_t max_skips) {
  const auto name = [&] { return cause ? choice_name(nonfinite_cause_choices(), *cause) : std::string("a non-finite value"); };
  if (past_max_skips(consecutive, max_skips)) {
    return {GuardAction::Halt, fmt::format("{} non-finite steps in a row, more than max_skips {}", consecutive, max_skips)};
  }
  if (stage == GuardStage::Weight) return {GuardAction::Rollback, "the update made the weights non-finite"};
  if (consecutive > 1) return {GuardAction::Rollback, fmt::format("{} came back on the next batch", name())};
  if (stage == GuardStage::Input) return {GuardAction::Skip, "the batch itself is non-finite"};
  if (cause && carried_by_the_weights(*cause)) {
    return {GuardAction::Rollback, fmt::format("{} persists in the weights", name())};
  }
  if (!cause) return {GuardAction::Skip, "no cause known: the batch's unless it comes back"};
  return {GuardAction::Skip, fmt::format("{} is the batch's", name())};
}

GuardAction decide_transient_action(TransientPolicy on_transient, GuardPolicy policy, GuardStage stage,
                                    int64_t consecutive, int64_t max_skips, bool retried) {
  switch (on_transient) {
    case TransientPolicy::Halt:
      return GuardAction::Halt;
    case TransientPolicy::Skip:
      return decide_action(GuardPolicy::Skip, stage, consecutive, max_skips);
    case TransientPolicy::Retry:
      break;
  }
  if (!retried) return GuardAction::Retry;
  // Auto: finite replays clear the weights, so the batch's fault is skipped, even on its retry.
  return decide_action(policy == GuardPolicy::Auto ? GuardPolicy::Skip : policy, stage, consecutive, max_skips);
}

}  // namespace depthguard
