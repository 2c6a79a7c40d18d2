#pragma once
#include <torch/arg.h>
#include <torch/types.h>

#include "depthguard/losses/loss_output.h"

namespace depthguard {

struct GradientMatchingLossOptions {
  /// Number of scales; scale k compares every 2^k-th row and column (MiDaS: 4).
  TORCH_ARG(int64_t, scales) = 4;
};

/// Multi-scale gradient-matching loss (MiDaS, Ranftl et al. 2020), batch-based: at each
/// scale, the sum over the batch of |dx R| + |dy R| for R = pred - target, over pixel pairs
/// that are both valid, divided by the batch's valid pixels at that scale; summed over
/// scales. Inputs are [B, ..., H, W] in any space (log-depth, or MiDaS' aligned disparity).
/// `report` equals `loss`.
///
/// Edges: N = 0 at a scale makes that scale contribute 0 with zero gradient; N = 1 or no
/// valid neighbouring pair gives 0; an image smaller than 2^k in a dimension simply has no
/// pair at scale k; invalid pixels (any value) reach neither value nor gradient; a NaN or
/// inf residual at a valid pixel with a valid neighbour propagates.
LossOutput gradient_matching_loss(const torch::Tensor& pred, const torch::Tensor& target,
                                  const torch::Tensor& mask,
                                  const GradientMatchingLossOptions& options = {});

/// The single-scale term: sum of masked |dx R| + |dy R| over the batch (no division).
torch::Tensor gradient_matching_sum(const torch::Tensor& pred, const torch::Tensor& target,
                                    const torch::Tensor& mask);

}  // namespace depthguard
