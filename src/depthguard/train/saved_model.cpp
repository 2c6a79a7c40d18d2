#include "depthguard/train/saved_model.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "depthguard/guard/nonfinite_findings.h"
#include "depthguard/runtime/cpu_kernels.h"
#include "depthguard/train/checkpoint.h"

namespace depthguard {

YAML::Node saved_config(const std::string& checkpoint) {
  auto node = YAML::Load(read_checkpoint_state(checkpoint).config_yaml);
  if (!node.IsMap()) throw std::runtime_error(checkpoint + ": holds no run configuration");
  return node;
}

DepthModel load_model(const std::string& checkpoint, const ModelOptions& options, std::optional<bool> channels_last,
                      const c10::Device& device) {
  DepthModel model(options);
  load_checkpoint(checkpoint, *model, nullptr);  // takes the stored tensors' layout
  // A model with a NaN or inf weight predicts garbage (all zeros, or NaN) for every input.
  const auto findings = parameter_findings(*model);
  if (!findings.empty()) {
    throw std::runtime_error(fmt::format("{}: refusing to predict with non-finite weights: {}", checkpoint,
                                         fmt::join(findings, "; ")));
  }
  to_channels_last(*model, use_channels_last(channels_last, device));
  model->to(device);
  model->eval();
  return model;
}

}  // namespace depthguard
