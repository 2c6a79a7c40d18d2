#pragma once
// Learning-rate schedules as pure functions of the step, so a resumed run needs only the
// step to continue the schedule exactly.
#include <cstdint>

#include "depthguard/optim/lr_schedule_options.h"

namespace depthguard {

/// The learning rate of step `step` (0-based) of a run of `steps` steps with peak `lr`.
///
/// Domain: steps >= 1, 0 <= step; a step past the end is treated as the last (step = steps
/// - 1), so a run extended after it finished keeps the final rate. steps = 1 gives the
/// schedule's value at its start (one-cycle: lr / div_factor; poly: lr). The result is
/// finite and >= 0 for finite, non-negative options.
double learning_rate(const ScheduleOptions& options, double lr, int64_t step, int64_t steps);

}  // namespace depthguard
