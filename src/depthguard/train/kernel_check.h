#pragma once
// The kernel check of a training run (guard.kernel_check, before its first step) and of
// `depthguard audit --config`: the run's model, in its layout, precision and device, takes one
// forward, loss and backward on a real batch with every arithmetic operator re-run in float64
// (guard/kernel_audit.h). It runs on a copy of the model, so the run itself is untouched.
#include <ATen/core/Tensor.h>

#include "depthguard/config/train_config.h"
#include "depthguard/guard/audit_report.h"
#include "depthguard/models/depth_model.h"

namespace depthguard {

/// The audit of one step of a copy of `model` (its weights and buffers, not its hooks) on
/// `image` and `depth`, on image's device and in image's layout (channels-last or NCHW), in
/// config.train.precision, with config.loss, the loss scaled by the loss scaler's initial scale
/// where the run scales it (float16). The default generators are as before.
AuditReport check_kernels(const TrainConfig& config, DepthModel& model, const at::Tensor& image, const at::Tensor& depth);

}  // namespace depthguard
