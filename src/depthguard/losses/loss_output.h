#pragma once
#include <cstdint>

#include <torch/types.h>

namespace depthguard {

/// What every depth loss returns.
struct LossOutput {
  torch::Tensor loss;         ///< scalar, differentiable: what the optimiser minimises
  torch::Tensor report;       ///< scalar, detached: the figure logs show
  int64_t empty_samples = 0;  ///< samples (dim 0) with no valid pixel; they contribute 0
  int64_t valid_pixels = 0;   ///< valid pixels over the whole batch
};

/// Fills the counts of a LossOutput from the batch's valid mask [B, ...].
LossOutput make_loss_output(torch::Tensor loss, torch::Tensor report, const torch::Tensor& mask);

/// `t` as [rows, numel / rows]; rows = 0 gives [0, 0]. Losses reduce per row.
torch::Tensor as_rows(const torch::Tensor& t, int64_t rows);

/// Checks the shared contract of the losses: same shapes, bool mask.
void check_loss_inputs(const char* loss, const torch::Tensor& pred, const torch::Tensor& target,
                       const torch::Tensor& mask);

}  // namespace depthguard
