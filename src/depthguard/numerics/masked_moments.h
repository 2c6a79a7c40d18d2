#pragma once
// Mean and variance over the valid entries of each row: the statistics behind SILog.
//
// Vulnerability 3 of the paper lives here. `unbiased` divides by N - 1 (torch.var's
// default, used by the Monocular-Depth-Estimation-Toolbox) and is 0/0 = NaN for one valid
// pixel; `moments` is the one-pass E[d^2] - E[d]^2, which cancels catastrophically in
// float32 when |mean| >> std and can come out negative. `population` divides by N after
// subtracting the mean (two-pass), so it is a sum of squares: never negative.
#include <torch/types.h>

#include "depthguard/numerics/variance_kind.h"

namespace depthguard {

struct MaskedMoments {
  torch::Tensor count;     ///< [G] number of valid entries, same dtype as the values
  torch::Tensor mean;      ///< [G]
  torch::Tensor variance;  ///< [G]
};

/// Row statistics of `values` [G, M] over the entries where `mask` [G, M] (bool) is true.
///
/// Edges, per row:
/// - N = 0: count 0, mean 0, variance 0, and zero gradient to every entry (never 0/0).
/// - N = 1: population and moments give 0 (moments up to rounding); unbiased gives NaN
///   (0/0), the vulnerability, kept on purpose.
/// - Invalid entries may hold anything, +-inf and NaN included: they never reach the
///   value or the gradient.
/// - A valid +-inf or NaN makes the mean non-finite and the variance NaN: never hidden.
/// - population is >= 0 for all finite input; moments may be negative in float32.
MaskedMoments masked_moments(const torch::Tensor &values, const torch::Tensor &mask,
                             VarianceKind kind);

}  // namespace depthguard
