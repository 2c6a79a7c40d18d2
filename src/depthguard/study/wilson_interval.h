#pragma once
// A confidence interval for a rate from few runs (the NaN rate of a study variant).
#include <cstdint>

namespace depthguard {

struct Interval {
  double low = 0, high = 1;
};

/// Wilson score interval of `successes` out of `trials` at normal quantile `z` (1.96: 95%).
/// Unlike the normal approximation it stays inside [0, 1] and is not empty at 0 or n
/// successes. Edges: trials = 0 gives [0, 1] (nothing known); 0 of n gives low = 0 exactly,
/// n of n gives high = 1 exactly; N = 1 gives [0, 0.79] or [0.21, 1] at z = 1.96.
/// Throws std::invalid_argument when successes < 0, successes > trials or z < 0.
Interval wilson_interval(int64_t successes, int64_t trials, double z = 1.96);

}  // namespace depthguard
