#pragma once
// Dynamic loss scaling for float16 training, with PyTorch's GradScaler semantics: the loss
// is multiplied by a scale before backward so small gradients do not underflow to 0 in
// float16; the gradients are divided by it again before the update; a step whose scaled
// gradients overflowed (inf or NaN) is not applied and the scale backs off, and after
// growth_interval good steps in a row it grows.
//
// Built on LibTorch's own AMP operators (_amp_foreach_non_finite_check_and_unscale_,
// _amp_update_scale_) where the device has kernels for them (CUDA; the CPU from LibTorch
// 2.x on). Where it has none (LibTorch 1.13 on the CPU) the same arithmetic runs as plain
// tensor operations: tests here check it against the rules above, and the GPU check runs
// both on one device.
#include <cstdint>
#include <vector>

#include <c10/core/Device.h>
#include <torch/types.h>

#include "depthguard/optim/loss_scaler_options.h"

namespace depthguard {

class LossScaler {
 public:
  /// The scale lives on `device` (a float32 scalar tensor), so scaling never syncs.
  /// TORCH_CHECKs the options: init_scale > 0, growth_factor > 1, backoff_factor in (0, 1),
  /// growth_interval >= 1.
  LossScaler(LossScalerOptions options, c10::Device device);

  /// `loss` times the scale (the scale in the loss's dtype and device).
  torch::Tensor scale(const torch::Tensor& loss) const;

  /// Divides every defined gradient of `parameters` by the scale, in place, and returns the
  /// found-inf flag: float32 [1] on the device, 1 when any scaled gradient was inf or NaN,
  /// else 0. Not read here (the sentinel reads it with the step's other figures). Undefined
  /// gradients are left alone; with none at all nothing overflowed. The flag is overwritten
  /// by the next unscale or update.
  torch::Tensor unscale(const std::vector<torch::Tensor>& parameters);

  /// After a step: `overflowed` backs the scale off and restarts the count of good steps;
  /// otherwise the count grows, and at growth_interval the scale grows (unless that would
  /// make it inf) and the count restarts.
  void update(bool overflowed);

  double value() const;            ///< the current scale (a device read)
  int64_t good_steps() const;      ///< good steps in a row since the last change of scale
  /// Whether LibTorch's AMP operators do the work (else the tensor-op form).
  bool uses_amp_kernels() const { return amp_kernels_; }
  /// What a checkpoint restores.
  void restore(double scale, int64_t good_steps);

 private:
  LossScalerOptions options_;
  torch::Tensor scale_;        ///< float32 [1], on the device
  torch::Tensor good_steps_;   ///< int32 [1]: PyTorch's growth tracker
  torch::Tensor found_inf_;    ///< float32 [1]: 1 when the last unscale saw inf or NaN
  bool amp_kernels_ = true;    ///< whether LibTorch's AMP operators run on this device
};

}  // namespace depthguard
