#pragma once
// What the sentinel does about one non-finite step: the policy decision, kept a pure
// function so every combination of policy, stage and run length is unit-tested.
#include <cstdint>

#include "depthguard/core/choice.h"
#include "depthguard/guard/guard_options.h"

namespace depthguard {

enum class GuardAction {
  Skip,      ///< drop the update (nothing was applied yet) and go on
  Rollback,  ///< return to the last in-memory snapshot and go on
  Halt,      ///< stop; the last good state on disk stays
  Retry,     ///< a transient event: run the same step again (nothing was applied yet)
};
const ChoiceTable<GuardAction>& guard_action_choices();

/// The action for the `consecutive`-th non-finite step in a row (1 for the first) found at
/// `stage`. Rules: policy halt always halts; skip and rollback halt once `consecutive`
/// exceeds `max_skips` (max_skips 0: the first event halts); rollback otherwise rolls back;
/// skip skips, except at the weight stage, where the update has already been applied and
/// only the snapshot undoes it. Edges: consecutive <= 0 is treated as 1 (an event is being
/// decided); a negative max_skips behaves as 0.
GuardAction decide_action(GuardPolicy policy, GuardStage stage, int64_t consecutive, int64_t max_skips);

/// The action for a transient event (a loss or gradient event whose replays were finite):
/// on_transient retry retries, unless this step was retried already (`retried`): then, and
/// for on_transient skip, the rules above for `policy` (skip for on_transient skip), which
/// halt past max_skips; on_transient halt halts.
GuardAction decide_transient_action(TransientPolicy on_transient, GuardPolicy policy, GuardStage stage,
                                    int64_t consecutive, int64_t max_skips, bool retried);

}  // namespace depthguard
