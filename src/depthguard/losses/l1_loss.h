#pragma once
#include <torch/types.h>

#include "depthguard/losses/loss_output.h"

namespace depthguard {

/// Mean absolute error over valid pixels of the batch: sum |pred - gt| / N.
/// `report` equals `loss`.
///
/// Edges: N = 0 gives 0 with zero gradient; N = 1 gives |pred - gt|; the gradient at
/// pred == gt is 0 (torch's sign(0)); invalid pixels (any value, inf and NaN included)
/// reach neither value nor gradient; NaN or inf at a valid pixel propagates.
LossOutput masked_l1_loss(const torch::Tensor& pred, const torch::Tensor& gt,
                          const torch::Tensor& mask);

/// Absolute residuals |pred - gt| with invalid pixels set to 0 (shared by L1 and berHu).
torch::Tensor masked_abs_residual(const torch::Tensor& pred, const torch::Tensor& gt,
                                  const torch::Tensor& mask);

/// Sum over all elements divided by the number of valid pixels (1 when there are none).
torch::Tensor mean_over_valid(const torch::Tensor& values, const torch::Tensor& mask);

}  // namespace depthguard
