#pragma once
// The options of the evaluation (what config reads): valid depth range and benchmark crop.
#include <torch/arg.h>

#include "depthguard/core/choice.h"

namespace depthguard {

/// The evaluation crops of the standard benchmarks, as BTS and GLPDepth evaluate.
enum class EvalCrop {
  None,        ///< the whole image
  EigenNyu,    ///< NYU Depth v2: rows 45:471, cols 41:601 of 480x640
  Garg,        ///< KITTI, Garg et al.: rows 0.40810811H:0.99189189H, cols 0.03594771W:0.96405229W
  EigenKitti,  ///< KITTI, Eigen et al.: rows 0.3324324H:0.91351351H, cols 0.0359477W:0.96405229W
};
const ChoiceTable<EvalCrop>& eval_crop_choices();

struct EvalOptions {
  /// Ground truth is valid in (min_depth, max_depth), strictly (BTS' min/max_depth_eval).
  TORCH_ARG(double, min_depth) = 1e-3;
  TORCH_ARG(double, max_depth) = 10.0;
  TORCH_ARG(EvalCrop, crop) = EvalCrop::None;
};

}  // namespace depthguard
