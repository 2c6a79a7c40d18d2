#pragma once
// How masked_moments computes a variance (numerics/masked_moments.h explains the
// vulnerable forms); an option of the SILog loss.
#include "depthguard/core/choice.h"

namespace depthguard {

enum class VarianceKind {
  Moments,     ///< E[d^2] - E[d]^2, one pass: vulnerable (V3, cancellation)
  Unbiased,    ///< sum (d - mean)^2 / (N - 1): vulnerable (V3, N = 1)
  Population,  ///< sum (d - mean)^2 / N, two pass: the guideline, default
};

const ChoiceTable<VarianceKind> &variance_kind_choices();

}  // namespace depthguard
