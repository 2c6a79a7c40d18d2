#include "depthguard/guard/guard_action.h"

#include <algorithm>

namespace depthguard {

const ChoiceTable<GuardAction>& guard_action_choices() {
  static const ChoiceTable<GuardAction> table{
      {"skip", GuardAction::Skip}, {"rollback", GuardAction::Rollback}, {"halt", GuardAction::Halt}};
  return table;
}

GuardAction decide_action(GuardPolicy policy, GuardStage stage, int64_t consecutive, int64_t max_skips) {
  if (policy == GuardPolicy::Halt || std::max<int64_t>(consecutive, 1) > std::max<int64_t>(max_skips, 0)) {
    return GuardAction::Halt;
  }
  if (policy == GuardPolicy::Rollback || stage == GuardStage::Weight) return GuardAction::Rollback;
  return GuardAction::Skip;
}

}  // namespace depthguard
