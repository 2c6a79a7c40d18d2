#pragma once
// What the sentinel does about one non-finite step: the policy decision, kept a pure
// function so every combination of policy, stage and run length is unit-tested.
#include <cstdint>
#include <optional>
#include <string>

#include "depthguard/core/choice.h"
#include "depthguard/guard/guard_options.h"
#include "depthguard/guard/nonfinite_cause.h"

namespace depthguard {

enum class GuardAction {
  Skip,      ///< drop the update (nothing was applied yet) and go on
  Rollback,  ///< return to the last in-memory snapshot and go on
  Halt,      ///< stop; the last good state on disk stays
  Retry,     ///< a transient event: run the same step again (nothing was applied yet)
};
const ChoiceTable<GuardAction>& guard_action_choices();

/// The action for the `consecutive`-th non-finite step in a row (1 for the first) found at
/// `stage`. Rules: policy halt always halts; skip, rollback and auto halt once `consecutive`
/// exceeds `max_skips` (max_skips 0: the first event halts); rollback otherwise rolls back;
/// skip skips, except at the weight stage, where the update has already been applied and
/// only the snapshot undoes it; auto decides as decide_auto_action with no cause known.
/// Edges: consecutive <= 0 is treated as 1 (an event is being decided); a negative max_skips
/// behaves as 0.
GuardAction decide_action(GuardPolicy policy, GuardStage stage, int64_t consecutive, int64_t max_skips);

/// Policy auto's action and why, in words for the event's log line.
struct AutoDecision {
  GuardAction action = GuardAction::Skip;
  std::string reason;  ///< e.g. "v2_log_sigmoid persists in the weights"
};

/// Policy auto: the action follows where the cause lives. Rules, first match:
/// - past max_skips events in a row: halt (as every policy);
/// - a weight event: roll back (the update is applied; only the snapshot undoes it);
/// - the second event in a row or later: roll back, whatever the cause (it came back on
///   another batch, so it is in the state);
/// - an input event, or a cause the batch carries (empty_mask, nonfinite_input, V1 or V3 on
///   a batch with too few valid pixels, a division by zero, an injected value, a transient
///   that came back on its retry, a wrong device kernel, unknown, or no cause known): skip;
/// - a cause the weights carry (V2 from a saturated head, exploding, overflow, precision):
///   roll back (the caller backs the learning rate off).
/// Edges as decide_action's.
AutoDecision decide_auto_action(GuardStage stage, std::optional<NonFiniteCause> cause, int64_t consecutive,
                                int64_t max_skips);

/// The action for a transient event (a loss or gradient event whose replays were finite):
/// on_transient retry retries, unless this step was retried already (`retried`): then, and
/// for on_transient skip, the rules above for `policy` (skip for on_transient skip, and for
/// auto: replays that were finite clear the weights), which halt past max_skips;
/// on_transient halt halts.
GuardAction decide_transient_action(TransientPolicy on_transient, GuardPolicy policy, GuardStage stage,
                                    int64_t consecutive, int64_t max_skips, bool retried);

}  // namespace depthguard
