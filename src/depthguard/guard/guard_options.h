#pragma once
// What the NaN sentinel does when a step produces a non-finite value, and the faults it can
// inject on purpose to show that it works.
#include <cstdint>

#include <torch/arg.h>

#include "depthguard/core/choice.h"
#include "depthguard/core/errors.h"  // NonFiniteHalt, what a halting policy throws

namespace depthguard {

enum class GuardPolicy {
  Halt,      ///< stop with a report; the last good checkpoint stays
  Skip,      ///< drop the update and go on; halt after max_skips in a row
  Rollback,  ///< restore the last in-memory snapshot, scale the LR by lr_factor, go on
  Auto,      ///< the action follows the cause (decide_auto_action): skip what the batch broke,
             ///< roll back what the weights broke (default); halt after max_skips in a row
};
const ChoiceTable<GuardPolicy>& guard_policy_choices();

/// Where a non-finite value was found, in the order the sentinel looks.
enum class GuardStage { Input, Loss, Gradient, Weight };
const ChoiceTable<GuardStage>& guard_stage_choices();

/// What the sentinel does about a transient event: a loss or gradient event whose replays on
/// the run's own device, in its own precision, are finite (cause transient).
enum class TransientPolicy {
  Retry,  ///< run the step again with the same batch, state and generator (default); a second
          ///< transient at the same step follows the policy
  Skip,   ///< drop the update, as policy skip does
  Halt,   ///< stop with a report
};
const ChoiceTable<TransientPolicy>& transient_policy_choices();

enum class InjectSite { None, Image, Depth, Loss, Gradient, Weight };
const ChoiceTable<InjectSite>& inject_site_choices();

enum class InjectValue { Nan, Inf };
const ChoiceTable<InjectValue>& inject_value_choices();

struct GuardOptions {
  TORCH_ARG(GuardPolicy, policy) = GuardPolicy::Auto;
  /// Non-finite steps in a row after which skip, rollback and auto give up and halt.
  TORCH_ARG(int64_t, max_skips) = 5;
  /// Rollback and auto: the learning rate is multiplied by this at each rollback.
  TORCH_ARG(double, lr_factor) = 0.5;
  /// Steps between in-memory snapshots of weights and optimiser state (what a rollback returns to).
  TORCH_ARG(int64_t, snapshot_interval) = 50;
  /// Replay the first non-finite step of a session with every operator watched and write a
  /// reproducer bundle and report into RUN/forensics/step-N/.
  TORCH_ARG(bool, forensics) = true;
  /// Before the first step of every session (fresh or resumed), check the kernels of one step
  /// against float64 (kernel_audit.h; docs/guard.md "Kernels that compute wrong"): a kernel
  /// that computes wrong stops the run before it trains, naming the operator and the fix.
  TORCH_ARG(bool, kernel_check) = true;
  /// Loss scaling (fp16): an overflow of the scaled gradients is routine (counted, the
  /// update dropped, the scale backed off) until the scale falls below min_loss_scale or
  /// more than max_scale_backoffs overflows come in a row; then it is a non-finite gradient
  /// event like any other (policy, forensics).
  TORCH_ARG(double, min_loss_scale) = 1.0;
  TORCH_ARG(int64_t, max_scale_backoffs) = 16;
  /// A loss or gradient event is replayed `replays` times on the run's own device in its own
  /// precision, from the state and generator the step started from; finite every time, it is
  /// transient and `on_transient` decides (docs/guard.md "Model or machine").
  TORCH_ARG(TransientPolicy, on_transient) = TransientPolicy::Retry;
  TORCH_ARG(int64_t, replays) = 1;
  /// Spike warnings: a healthy step whose loss or gradient norm is at least `spike_ratio`
  /// times its running median (over the last `spike_window` steps, after `spike_warmup`) and
  /// more than `spike_mads` MADs above it on a log scale is logged as a spike
  /// (SpikeDetector). spike_ratio 0 = off. Chosen on measured runs: no warning in the demo's
  /// 2500 healthy steps, and as many divergences warned ahead as ZClip's z-score of 4, which
  /// warned 46 times there (docs/guard.md, "Spike warnings").
  TORCH_ARG(double, spike_ratio) = 10.0;
  TORCH_ARG(double, spike_mads) = 3.0;
  TORCH_ARG(int64_t, spike_window) = 50;
  TORCH_ARG(int64_t, spike_warmup) = 25;
  /// Fault injection: put `inject_value` (NaN or +inf) into one element of the site at step
  /// `inject_step` (0-based). Site none = off. `inject_runs`: how many runs of that step's
  /// attempt get it: 0 = every one (a reproducible fault: a retry gets it again and the
  /// replays count it as there), 1 = the first only (a transient fault, `--inject ...:once`),
  /// N = the first N (a fault that comes back on retry).
  TORCH_ARG(InjectSite, inject_site) = InjectSite::None;
  TORCH_ARG(InjectValue, inject_value) = InjectValue::Nan;
  TORCH_ARG(int64_t, inject_step) = 0;
  TORCH_ARG(int64_t, inject_runs) = 0;
};

}  // namespace depthguard
