#pragma once
#include <cstdint>

#include <torch/types.h>

namespace depthguard {

/// What every depth loss returns.
struct LossOutput {
  torch::Tensor loss;         ///< scalar, differentiable: what the optimiser minimises
  torch::Tensor report;       ///< scalar, detached: the figure logs show
  // Counts as int64 scalars on the loss's device, so that a training step need not read
  // them (on a GPU a read waits for the device): the trainer reads valid_pixels with the
  // sentinel's figures.
  torch::Tensor empty_samples;  ///< samples (dim 0) with no valid pixel; they contribute 0
  torch::Tensor valid_pixels;   ///< valid pixels over the whole batch
};

/// Fills the counts of a LossOutput from the batch's valid mask [B, ...].
LossOutput make_loss_output(torch::Tensor loss, torch::Tensor report, const torch::Tensor& mask);

/// `t` as [rows, numel / rows]; rows = 0 gives [0, 0]. Losses reduce per row.
torch::Tensor as_rows(const torch::Tensor& t, int64_t rows);

/// Checks the shared contract of the losses: same shapes, bool mask.
void check_loss_inputs(const char* loss, const torch::Tensor& pred, const torch::Tensor& target,
                       const torch::Tensor& mask);

}  // namespace depthguard
