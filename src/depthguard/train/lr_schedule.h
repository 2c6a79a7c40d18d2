#pragma once
// Learning-rate schedules as pure functions of the step, so a resumed run needs only the
// step to continue the schedule exactly.
#include <cstdint>

#include <torch/arg.h>

#include "depthguard/config/choice.h"

namespace depthguard {

enum class ScheduleKind {
  Constant,
  Step,      ///< lr * gamma^(floor(step / step_size))
  Poly,      ///< (lr - end_lr) * (1 - step / steps)^power + end_lr (BTS)
  OneCycle,  ///< cosine up from lr / div_factor to lr over pct_start, then down to lr / final_div_factor (GLPDepth, MIM)
};
const ChoiceTable<ScheduleKind>& schedule_kind_choices();

struct ScheduleOptions {
  TORCH_ARG(ScheduleKind, kind) = ScheduleKind::Constant;
  /// Linear warm-up over the first warmup_steps, from warmup_factor * lr, multiplying the
  /// schedule's value. 0 = none.
  TORCH_ARG(int64_t, warmup_steps) = 0;
  TORCH_ARG(double, warmup_factor) = 0.001;
  TORCH_ARG(int64_t, step_size) = 1000;  ///< step
  TORCH_ARG(double, gamma) = 0.1;        ///< step
  TORCH_ARG(double, power) = 0.9;        ///< poly
  TORCH_ARG(double, end_lr) = 0.0;       ///< poly
  TORCH_ARG(double, pct_start) = 0.3;    ///< one-cycle: fraction of steps rising
  TORCH_ARG(double, div_factor) = 25.0;  ///< one-cycle
  TORCH_ARG(double, final_div_factor) = 1e4;  ///< one-cycle: final lr = lr / div_factor / this
};

/// The learning rate of step `step` (0-based) of a run of `steps` steps with peak `lr`.
///
/// Domain: steps >= 1, 0 <= step; a step past the end is treated as the last (step = steps
/// - 1), so a run extended after it finished keeps the final rate. steps = 1 gives the
/// schedule's value at its start (one-cycle: lr / div_factor; poly: lr). The result is
/// finite and >= 0 for finite, non-negative options.
double learning_rate(const ScheduleOptions& options, double lr, int64_t step, int64_t steps);

}  // namespace depthguard
