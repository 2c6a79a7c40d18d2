#pragma once
// A trained model back from its checkpoint, for eval and predict.
#include <optional>
#include <string>

#include <yaml-cpp/yaml.h>

#include "depthguard/models/depth_model.h"

namespace depthguard {

/// The resolved configuration the checkpoint's run used (a YAML mapping).
YAML::Node saved_config(const std::string& checkpoint);

/// The model of `options` with the checkpoint's weights, in eval mode, its convolution
/// weights channels-last when `channels_last` says so (train.channels_last: true, false, or
/// none for the faster layout of `device`, as the run's own evaluations chose it), on `device` (wherever the checkpoint
/// was written). Throws std::runtime_error naming the file (missing, corrupt), the
/// mismatching tensor, or the tensors holding NaN or inf.
DepthModel load_model(const std::string& checkpoint, const ModelOptions& options, std::optional<bool> channels_last,
                      const c10::Device& device = c10::kCPU);

}  // namespace depthguard
