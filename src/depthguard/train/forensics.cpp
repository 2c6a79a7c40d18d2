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
#include "depthguard/runtime/autocast.h"
#include "depthguard/runtime/precision.h"
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

// The step's forward, loss and backward under first_nonfinite_op, on `device`, under
// autocast in `dtype` when given (the loss always in float32, as training runs it).
std::optional<NonFiniteOp> replay_once(const ReproBundle& b, const TrainConfig& config, DepthModel& model,
                                       c10::Device device, std::optional<c10::ScalarType> dtype) {
  model->to(device);
  model->zero_grad();
  auto image = b.image.to(device);
  if (config.train.channels_last) image = image.contiguous(torch::MemoryFormat::ChannelsLast);
  const auto depth = b.depth.to(device);
  return first_nonfinite_op([&] {
    torch::Tensor pred;
    if (dtype) {
      const Autocast autocast(device.type(), *dtype);
      pred = model->forward(image).to(torch::kFloat);
    } else {
      pred = model->forward(image);
    }
    depth_loss(config.loss, pred, depth).loss.backward();
  });
}

// The step in float32 first; when that stays finite and the run trained in reduced
// precision, again in it: a value only the reduced precision makes non-finite is the
// precision cause. Where the device's autocast does not run the dtype (float16 on the CPU of
// LibTorch 1.13) a finding says the float32 replay ran alone.
void replay_step(ForensicsReport& r, const ReproBundle& b, const TrainConfig& config, DepthModel& model,
                 c10::Device device) {
  r.op = replay_once(b, config, model, c10::kCPU, std::nullopt);
  const auto dtype = autocast_dtype(config.train.precision);
  if (r.op || !dtype) return;
  if (!autocast_runs(device.type(), *dtype)) {
    r.findings.push_back(std::string("this LibTorch's autocast runs no ") + c10::toString(*dtype) + " on " +
                         device.str() + " (depthguard diagnose --device cuda); replayed in float32 only");
    return;
  }
  r.op = replay_once(b, config, model, device, dtype);
  if (r.op) r.precision_only = *dtype == c10::kHalf ? "float16" : "bfloat16";
}

}  // namespace

ForensicsReport replay_bundle(const ReproBundle& b, c10::Device device) {
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
      replay_step(r, b, config, model, device);
    }
  }
  r.classify();
  return r;
}

void write_forensics(const std::string& dir, const ReproBundle& bundle, const ForensicsReport& report) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  save_bundle((fs::path(dir) / "bundle.pt").string(), bundle);
  write_report(dir, report);
}

void write_report(const std::string& dir, const ForensicsReport& report) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  write_file_atomically((fs::path(dir) / "report.json").string(), report.json() + "\n");
  write_file_atomically((fs::path(dir) / "report.txt").string(), report.text());
}

}  // namespace depthguard
