#pragma once
// Scale-invariant log loss (Eigen et al. 2014) with every numerical form the paper studies.
//
// d = log_pred - log(gt) over valid pixels, D = Var(d) + (1 - lambda) * mean(d)^2.
// Vulnerability 1 lives in the reduction: alpha * sqrt(D) (BTS, AdaBins, GLPDepth, MIM)
// has gradient alpha / (2 sqrt(D)), infinite at D = 0.
#include <torch/types.h>

#include "depthguard/losses/loss_options.h"
#include "depthguard/losses/loss_output.h"

namespace depthguard {

/// SILog of log-depth predictions against metric ground truth.
/// `log_pred`, `gt`, `mask` share one shape [B, ...]; `mask` is bool (see valid_depth_mask).
/// `report` is alpha * sqrt(max(D, 0)), the figure BTS logs, for every reduction.
///
/// Edges:
/// - N = 0 valid pixels in a group (the batch, or an image): the group contributes 0 with
///   zero gradient and is left out of the average; loss 0 when no group has a pixel.
/// - N = 1: population D = (1 - lambda) d^2; unbiased gives NaN (V3, kept on purpose).
/// - D = 0 (prediction equals ground truth, or all d equal with lambda = 1): loss 0;
///   sqrt's gradient is NaN there (V1), sqrt_eps and none give a finite gradient.
/// - D < 0 (only the moments variance, V3): sqrt and sqrt_eps give NaN; none gives the
///   negative value.
/// - Invalid pixels may hold any gt or log_pred, inf and NaN included: they reach neither
///   value nor gradient of this function.
/// - NaN or inf in a valid pixel's log_pred propagates to the loss: never hidden.
LossOutput silog_loss(const torch::Tensor& log_pred, const torch::Tensor& gt,
                      const torch::Tensor& mask, const SilogLossOptions& options = {});

}  // namespace depthguard
