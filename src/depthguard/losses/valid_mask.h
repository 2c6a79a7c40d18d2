#pragma once
#include <torch/types.h>

namespace depthguard {

/// Pixels whose ground truth can be trained on: finite, > min_depth and, when
/// max_depth > 0, <= max_depth. Same shape as `gt`, dtype bool.
///
/// Edges: NaN and +-inf are invalid; gt == min_depth is invalid (sensors write 0 for
/// "no return", and min_depth defaults to 0); an empty tensor gives an empty mask.
torch::Tensor valid_depth_mask(const torch::Tensor& gt, double min_depth, double max_depth);

}  // namespace depthguard
