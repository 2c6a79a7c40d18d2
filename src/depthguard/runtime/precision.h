#pragma once
// The arithmetic a training step runs in (train.precision).
#include <optional>

#include <c10/core/ScalarType.h>

#include "depthguard/core/choice.h"

namespace depthguard {

/// fp32: everything in float32. bf16: the forward pass under autocast in bfloat16 (its
/// exponent range is float32's, so no loss scaling is needed). fp16: the forward pass
/// under autocast in float16, on CUDA (LibTorch 1.13's CPU autocast runs bfloat16 only),
/// with dynamic loss scaling (optim/loss_scaler.h): float16 overflows above 65504 and
/// flushes gradients below 6e-8 to 0. In each, the loss, its reductions and the
/// sentinel's checks stay float32.
enum class Precision { Fp32, Bf16, Fp16 };

const ChoiceTable<Precision>& precision_choices();

/// The autocast dtype of `precision`; none for fp32.
std::optional<c10::ScalarType> autocast_dtype(Precision precision);

}  // namespace depthguard
