#pragma once
#include <torch/types.h>

#include "depthguard/losses/loss_options.h"
#include "depthguard/losses/loss_output.h"

namespace depthguard {

/// Reverse Huber over valid pixels of the batch, averaged over them:
/// r if r <= c, (r^2 + c^2) / (2c) otherwise, r = |pred - gt|. c carries no gradient.
/// `report` equals `loss`.
///
/// Edges: N = 0 gives 0 with zero gradient; all residuals 0 (c = 0) gives 0 with zero
/// gradient (the quadratic branch never divides by c = 0); N = 1 gives r (then r = c);
/// invalid pixels reach neither value nor gradient; a NaN or inf residual at a valid
/// pixel propagates.
LossOutput berhu_loss(const torch::Tensor& pred, const torch::Tensor& gt, const torch::Tensor& mask,
                      const BerhuLossOptions& options = {});

}  // namespace depthguard
