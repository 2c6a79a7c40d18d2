#pragma once
// A trained model back from its checkpoint, for eval and predict.
#include <string>

#include <yaml-cpp/yaml.h>

#include "depthguard/models/depth_model.h"

namespace depthguard {

/// The resolved configuration the checkpoint's run used (a YAML mapping).
YAML::Node saved_config(const std::string& checkpoint);

/// The model of `options` with the checkpoint's weights, in eval mode. Throws
/// std::runtime_error naming the file (missing, corrupt) or the mismatching tensor.
DepthModel load_model(const std::string& checkpoint, const ModelOptions& options);

}  // namespace depthguard
