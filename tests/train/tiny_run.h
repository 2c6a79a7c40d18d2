#pragma once
// The smallest useful training run: a 4-wide U-Net on 32x64 synthetic rooms, for tests.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <yaml-cpp/yaml.h>

#include "depthguard/train/trainer.h"

namespace depthguard::testing {

inline std::string tiny_run_yaml(int64_t steps) {
  return R"(model: {arch: unet, width: 4}
data:
  dataset: synthetic
  batch_size: 2
  synthetic: {count: 6, height: 32, width: 64, min_objects: 1, max_objects: 2, shadows: false}
eval: {data: {synthetic: {count: 2}}}
optimizer: {lr: 0.003}
schedule: {name: poly}
train: {log_interval: 1, seed: 3, steps: )" +
         std::to_string(steps) + "}\n";
}

inline YAML::Node tiny_run(int64_t steps) { return YAML::Load(tiny_run_yaml(steps)); }

/// The losses a run logged to metrics.jsonl, in order.
inline std::vector<double> logged_losses(const std::string& run) {
  std::ifstream in(std::filesystem::path(run) / "metrics.jsonl");
  std::vector<double> losses;
  std::string line;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    if (j.contains("loss")) losses.push_back(j["loss"].get<double>());
  }
  return losses;
}

/// Run options for a test: `out`, no progress bar.
inline RunOptions quiet(const std::string& out) {
  RunOptions o;
  o.out = out;
  o.progress = false;
  return o;
}

}  // namespace depthguard::testing
