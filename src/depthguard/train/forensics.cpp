#include "depthguard/train/forensics.h"

#include <filesystem>

#include <fmt/format.h>
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include "depthguard/config/train_config.h"
#include "depthguard/guard/generator_keeper.h"
#include "depthguard/guard/nonfinite_findings.h"
#include "depthguard/losses/depth_loss.h"
#include "depthguard/models/depth_model.h"
#include "depthguard/runtime/atomic_file.h"
#include "depthguard/train/checkpoint.h"

namespace depthguard {

namespace {

std::vector<std::string> batch_findings(const ReproBundle& b) {
  std::vector<std::string> out;
  for (int64_t i = 0; i < b.image.size(0); ++i) {
    const auto id = i < static_cast<int64_t>(b.samples.size()) ? b.samples[static_cast<size_t>(i)] : std::to_string(i);
    for (const auto& [name, t] : {std::pair{"image", b.image[i]}, std::pair{"depth", b.depth[i]}}) {
      if (auto counts = nonfinite_counts(t)) out.push_back(fmt::format("sample {}: {} holds {}", id, name, *counts));
    }
  }
  return out;
}

}  // namespace

ForensicsReport replay_bundle(const ReproBundle& b) {
  ForensicsReport r;
  r.step = b.step;
  r.stage = b.stage;
  r.samples = b.samples;
  r.injected = b.injected;
  r.history = b.history;
  r.findings = batch_findings(b);
  if (b.stage != "input" && r.findings.empty()) {
    const auto config = read_train_config(YAML::Load(b.config_yaml));
    GeneratorKeeper keep_generator;
    DepthModel model(config.model);
    restore_checkpoint_bytes(b.state, *model, nullptr);  // takes the stored tensors' layout
    if (config.train.channels_last) to_channels_last(*model);
    model->train();
    if (b.stage == "weight") {
      r.findings = parameter_findings(*model);
    } else {
      const auto image = config.train.channels_last ? b.image.contiguous(torch::MemoryFormat::ChannelsLast) : b.image;
      r.op = first_nonfinite_op([&] { depth_loss(config.loss, model->forward(image), b.depth).loss.backward(); });
    }
  }
  r.classify();
  return r;
}

void write_forensics(const std::string& dir, const ReproBundle& bundle, const ForensicsReport& report) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  save_bundle((fs::path(dir) / "bundle.pt").string(), bundle);
  write_file_atomically((fs::path(dir) / "report.json").string(), report.json() + "\n");
  write_file_atomically((fs::path(dir) / "report.txt").string(), report.text());
}

}  // namespace depthguard
