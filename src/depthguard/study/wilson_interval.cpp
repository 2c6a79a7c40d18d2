#include "depthguard/study/wilson_interval.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace depthguard {

Interval wilson_interval(int64_t successes, int64_t trials, double z) {
  if (successes < 0 || successes > trials || !(z >= 0)) {
    throw std::invalid_argument("wilson_interval: need 0 <= successes <= trials and z >= 0");
  }
  if (trials == 0) return {0.0, 1.0};
  const double n = static_cast<double>(trials);
  const double p = static_cast<double>(successes) / n;
  const double z2 = z * z;
  const double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half = z * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
  // At 0 and n successes the bound is exact in theory; rounding must not move it off.
  return {successes == 0 ? 0.0 : std::max(0.0, centre - half), successes == trials ? 1.0 : std::min(1.0, centre + half)};
}

}  // namespace depthguard
