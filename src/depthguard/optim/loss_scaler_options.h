#pragma once
// The options of dynamic loss scaling (what config reads); the scaler is optim/loss_scaler.h.
#include <cstdint>

#include <torch/arg.h>

#include "depthguard/core/choice.h"

namespace depthguard {

/// auto: on for train.precision fp16 (whose gradients underflow without it), off otherwise;
/// dynamic: on whatever the precision; off: never.
enum class LossScaling { Auto, Dynamic, Off };
const ChoiceTable<LossScaling>& loss_scaling_choices();

/// PyTorch's GradScaler semantics and defaults.
struct LossScalerOptions {
  TORCH_ARG(double, init_scale) = 65536.0;   ///< the first scale (2^16)
  TORCH_ARG(double, growth_factor) = 2.0;    ///< scale *= this after growth_interval good steps in a row
  TORCH_ARG(double, backoff_factor) = 0.5;   ///< scale *= this after a step whose gradients overflowed
  TORCH_ARG(int64_t, growth_interval) = 2000;
  /// Whether to run LibTorch's own AMP operators where the device has kernels for them
  /// (CUDA; the CPU from LibTorch 2.x on); false: the tensor-op form everywhere, the one
  /// LibTorch 1.13's CPU gets (the tests compare the two on one device).
  TORCH_ARG(bool, amp_kernels) = true;
};

}  // namespace depthguard
