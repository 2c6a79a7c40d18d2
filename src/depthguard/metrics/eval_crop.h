#pragma once
#include <cstdint>

#include <torch/types.h>

#include "depthguard/config/choice.h"

namespace depthguard {

/// The evaluation crops of the standard benchmarks, as BTS and GLPDepth evaluate.
enum class EvalCrop {
  None,        ///< the whole image
  EigenNyu,    ///< NYU Depth v2: rows 45:471, cols 41:601 of 480x640
  Garg,        ///< KITTI, Garg et al.: rows 0.40810811H:0.99189189H, cols 0.03594771W:0.96405229W
  EigenKitti,  ///< KITTI, Eigen et al.: rows 0.3324324H:0.91351351H, cols 0.0359477W:0.96405229W
};
const ChoiceTable<EvalCrop>& eval_crop_choices();

/// Bool [height, width], true inside the crop. The KITTI crops are fractions of the size
/// (truncated to int, as the reference code does). The NYU crop is exact at 480x640 and
/// scales proportionally (integer arithmetic) at other sizes, so a half-resolution
/// evaluation crops the same region.
/// Edges: height or width 0 gives an empty mask; sizes too small for the crop give an
/// all-false mask rather than an error (such images are then skipped and counted).
torch::Tensor eval_crop_mask(int64_t height, int64_t width, EvalCrop crop);

}  // namespace depthguard
