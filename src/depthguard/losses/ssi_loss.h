#pragma once
#include <torch/types.h>

#include "depthguard/losses/gradient_matching_loss.h"
#include "depthguard/losses/loss_options.h"
#include "depthguard/losses/loss_output.h"

namespace depthguard {

/// Per-image least-squares scale s and shift t of `pred` onto `target` over valid pixels.
/// Both [B, ...]; results [B]. Solved from centred sums (two-pass, as the paper's variance
/// guideline), not from the raw normal equations, whose determinant cancels in float32.
/// Edges: N = 0, N = 1 and a constant prediction give s = 0, t = mean(target) (0 for
/// N = 0), the minimum-norm least-squares solution, with zero gradient through s.
struct ScaleShift {
  torch::Tensor scale;
  torch::Tensor shift;
};
ScaleShift align_scale_shift(const torch::Tensor& pred, const torch::Tensor& target,
                             const torch::Tensor& mask, const SsiLossOptions& options = {});

/// Scale-and-shift-invariant loss (MiDaS): pred is aligned per image with
/// align_scale_shift, then sum over the batch of (s pred + t - target)^2 over valid pixels
/// divided by 2 * (valid pixels), plus gradient_weight times the gradient-matching loss of
/// the aligned prediction. Inputs [B, ..., H, W] in any space (MiDaS: disparity).
/// `report` equals `loss`.
///
/// Edges: N = 0 gives 0 with zero gradient; N = 1 gives 0 (a shift fits one point);
/// a constant prediction gives the target's variance with zero gradient; invalid pixels
/// (any value) reach neither value nor gradient; NaN or inf at a valid pixel propagates.
LossOutput ssi_loss(const torch::Tensor& pred, const torch::Tensor& target,
                    const torch::Tensor& mask, const SsiLossOptions& options = {});

}  // namespace depthguard
