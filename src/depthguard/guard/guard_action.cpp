#include "depthguard/guard/guard_action.h"

#include <algorithm>

namespace depthguard {

const ChoiceTable<GuardAction>& guard_action_choices() {
  static const ChoiceTable<GuardAction> table{
      {"skip", GuardAction::Skip}, {"rollback", GuardAction::Rollback}, {"halt", GuardAction::Halt},
      {"retry", GuardAction::Retry}};
  return table;
}

GuardAction decide_action(GuardPolicy policy, GuardStage stage, int64_t consecutive, int64_t max_skips) {
  if (policy == GuardPolicy::Halt || std::max<int64_t>(consecutive, 1) > std::max<int64_t>(max_skips, 0)) {
    return GuardAction::Halt;
  }
  if (policy == GuardPolicy::Rollback || stage == GuardStage::Weight) return GuardAction::Rollback;
  return GuardAction::Skip;
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
  return retried ? decide_action(policy, stage, consecutive, max_skips) : GuardAction::Retry;
}

}  // namespace depthguard
