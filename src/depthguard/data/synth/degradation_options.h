#pragma once
// The options of the ground-truth degradation (holes, range, sparsity); applied by
// data/synth/gt_degradation.h.
#include <torch/arg.h>

#include "depthguard/core/choice.h"

namespace depthguard {

enum class SparsePattern {
  Dense,      ///< every pixel kept
  Random,     ///< each pixel kept with probability valid_fraction
  Scanlines,  ///< every k-th row kept (k = round(1 / valid_fraction)), like LiDAR beams
};
const ChoiceTable<SparsePattern>& sparse_pattern_choices();

struct DegradationOptions {
  /// Mean number of elliptical holes per image (uniform on 0 .. 2 * holes), each with
  /// radii of 2-8% of the width: depth 0 inside.
  TORCH_ARG(double, holes) = 0.0;
  /// Depth beyond this is set to 0 (metres; 0 keeps every depth).
  TORCH_ARG(double, max_range) = 10.0;
  TORCH_ARG(SparsePattern, pattern) = SparsePattern::Dense;
  /// Fraction of pixels kept by the Random and Scanlines patterns, in (0, 1].
  TORCH_ARG(double, valid_fraction) = 1.0;
};

}  // namespace depthguard
