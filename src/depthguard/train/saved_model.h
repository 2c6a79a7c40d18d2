#pragma once
// A trained model back from its checkpoint, for eval and predict.
#include <string>

#include <yaml-cpp/yaml.h>

#include "depthguard/models/depth_model.h"

namespace depthguard {

/// The resolved configuration the checkpoint's run used (a YAML mapping).
YAML::Node saved_config(const std::string& checkpoint);

/// The model of `options` with the checkpoint's weights, in eval mode, its convolution
/// weights channels-last when `channels_last` (as the run trained them, so eval and predict
/// compute what the run's own evaluations computed), on `device` (wherever the checkpoint
/// was written). Throws std::runtime_error naming the file (missing, corrupt), the
/// mismatching tensor, or the tensors holding NaN or inf.
DepthModel load_model(const std::string& checkpoint, const ModelOptions& options, bool channels_last,
                      const c10::Device& device = c10::kCPU);

}  // namespace depthguard
