#pragma once
// The training loss chosen by config: one of the depth losses on the head's log-depth.
#include <torch/types.h>

#include "depthguard/losses/loss_options.h"
#include "depthguard/losses/loss_output.h"

namespace depthguard {

/// The configured loss of log-depth predictions against metric gt, both [B, ...].
/// The edges are those of the chosen loss (see its header); the valid mask is built
/// from the config, so all-invalid gt gives loss 0 and empty_samples = B.
LossOutput depth_loss(const LossConfig& config, const torch::Tensor& log_pred,
                      const torch::Tensor& gt);

}  // namespace depthguard
