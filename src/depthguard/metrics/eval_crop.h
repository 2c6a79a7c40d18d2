#pragma once
#include <cstdint>

#include <torch/types.h>

#include "depthguard/metrics/eval_options.h"

namespace depthguard {

/// Bool [height, width], true inside the crop. The KITTI crops are fractions of the size
/// (truncated to int, as the reference code does). The NYU crop is exact at 480x640 and
/// scales proportionally (integer arithmetic) at other sizes, so a half-resolution
/// evaluation crops the same region.
/// Edges: height or width 0 gives an empty mask; sizes too small for the crop give an
/// all-false mask rather than an error (such images are then skipped and counted).
torch::Tensor eval_crop_mask(int64_t height, int64_t width, EvalCrop crop);

}  // namespace depthguard
