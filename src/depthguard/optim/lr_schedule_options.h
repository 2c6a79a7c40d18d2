#pragma once
// The options of the learning-rate schedule (what config reads); the schedule itself is in
// optim/lr_schedule.h.
#include <cstdint>

#include <torch/arg.h>

#include "depthguard/core/choice.h"

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

}  // namespace depthguard
