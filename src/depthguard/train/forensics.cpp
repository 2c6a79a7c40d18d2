#include "depthguard/train/forensics.h"

#include <filesystem>

#include <fmt/format.h>
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include "depthguard/config/train_config.h"
#include "depthguard/guard/finite_check.h"
#include "depthguard/guard/nonfinite_findings.h"
#include "depthguard/losses/depth_loss.h"
#include "depthguard/models/depth_model.h"
#include "depthguard/runtime/atomic_file.h"
#include "depthguard/runtime/autocast.h"
#include "depthguard/runtime/cpu_kernels.h"
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

// One replay: its first non-finite operator, and whether the value the sentinel saw came
// back: the loss for a loss event, the loss or a parameter's gradient for a gradient event.
// Only then does the operator count: a NaN that goes nowhere (SwinV2's normalisation of a
// padded window's zeros, in backward) is not the event's.
struct ReplayOutcome {
  std::optional<NonFiniteOp> op;
  bool reproduced = false;
};

// The step's forward, loss and backward under first_nonfinite_op, on `device`, under
// autocast in `dtype` when given (the loss always in float32, as training runs it, and
// scaled as the run scaled it).
ReplayOutcome replay_once(const ReproBundle& b, const TrainConfig& config, DepthModel& model, c10::Device device,
                          std::optional<c10::ScalarType> dtype) {
  if (b.conditions.generators) b.conditions.generators->restore();  // the step's draws again
  model->to(device);
  model->zero_grad();
  auto image = b.image.to(device);
  const bool channels_last = use_channels_last(config.train.channels_last, device);
  to_channels_last(*model, channels_last);
  if (channels_last) image = image.contiguous(torch::MemoryFormat::ChannelsLast);
  const auto depth = b.depth.to(device);
  bool loss_nonfinite = false;
  auto op = first_nonfinite_op([&] {
    torch::Tensor pred;
    if (dtype) {
      const Autocast autocast(device.type(), *dtype);
      pred = model->forward(image).to(torch::kFloat);
    } else {
      pred = model->forward(image);
    }
    const auto loss = depth_loss(config.loss, pred, depth).loss;
    loss_nonfinite = !torch::isfinite(loss.detach()).all().item<bool>();
    (b.loss_scale > 0 ? loss * b.loss_scale : loss).backward();
  });
  const bool reproduced =
      loss_nonfinite || (b.stage == "gradient" && !all_finite(gradients_of(model->parameters())));
  return {reproduced ? std::move(op) : std::nullopt, reproduced};
}

std::string precision_name(std::optional<c10::ScalarType> dtype) {
  return !dtype ? "float32" : *dtype == c10::kHalf ? "float16" : "bfloat16";
}

// One replay, kept in the report.
ReplayOutcome replay_on(ForensicsReport& r, const ReproBundle& b, const TrainConfig& config, DepthModel& model,
                        c10::Device device, std::optional<c10::ScalarType> dtype) {
  auto outcome = replay_once(b, config, model, device, dtype);
  r.replays.push_back({device.str(), precision_name(dtype), outcome.reproduced});
  return outcome;
}

// The replay order that tells the model from the machine (docs/guard.md "Model or machine"):
// on the run's device in its precision first, `replays` times: finite every time, the step is
// transient (classify). Reproduced there and on the CPU in float32: the numerical cause.
// Reproduced there only: on the CPU in the run's precision, non-finite is the precision
// cause and finite a kernel of the device. Where autocast does not run the run's dtype
// (float16 on the CPU of LibTorch 1.13), a finding says what could not be told apart.
void replay_step(ForensicsReport& r, const ReproBundle& b, const TrainConfig& config, DepthModel& model,
                 c10::Device device, int64_t replays) {
  const auto dtype = autocast_dtype(config.train.precision);
  r.run_precision = precision_name(dtype);
  const auto cannot = [&](const c10::Device& where) {
    return std::string("this LibTorch's autocast runs no ") + c10::toString(*dtype) + " on " + where.str();
  };
  if (dtype && !autocast_runs(device.type(), *dtype)) {
    r.findings.push_back(cannot(device) + " (depthguard diagnose --device cuda); replayed in float32 only");
    r.op = replay_on(r, b, config, model, c10::kCPU, std::nullopt).op;
    return;
  }
  ReplayOutcome there;
  for (int64_t i = 0; i < replays && !there.reproduced; ++i) there = replay_on(r, b, config, model, device, dtype);
  r.op = there.op;
  if (!there.reproduced || (device.is_cpu() && !dtype)) return;
  if (auto everywhere = replay_on(r, b, config, model, c10::kCPU, std::nullopt); everywhere.reproduced) {
    r.op = everywhere.op;
    return;
  }
  if (!dtype) {
    r.device_only = device.str();
  } else if (device.is_cpu() || !autocast_runs(c10::kCPU, *dtype)) {
    if (!device.is_cpu()) r.findings.push_back(cannot(c10::kCPU) + ": the precision and a " + device.str() + " kernel not told apart");
    r.precision_only = precision_name(dtype);
  } else if (replay_on(r, b, config, model, c10::kCPU, dtype).reproduced) {
    r.precision_only = precision_name(dtype);
  } else {
    r.device_only = device.str();
  }
}

// A fresh model in the state the bundle's step started from.
DepthModel bundle_model(const ReproBundle& b, const TrainConfig& config) {
  DepthModel model(config.model);
  restore_checkpoint_bytes(b.state, *model, nullptr);  // the layout: replay_once's, for its device
  model->train();
  return model;
}

}  // namespace

ForensicsReport replay_bundle(const ReproBundle& b, c10::Device device, int64_t replays, int64_t threads) {
  ForensicsReport r;
  r.step = b.step;
  r.iteration = b.iteration;
  r.stage = b.stage;
  r.samples = b.samples;
  r.injected = b.injected;
  r.history = b.history;
  r.run_device = b.device.empty() ? device.str() : b.device;
  r.findings = batch_findings(b);
  if (b.stage != "input" && r.findings.empty()) {
    const auto config = read_train_config(YAML::Load(b.config_yaml));
    const ReplayConditions under(b.conditions, threads);
    r.intra_op_threads = under.threads();
    auto model = bundle_model(b, config);
    if (b.stage == "weight") {
      r.findings = parameter_findings(*model);
    } else {
      replay_step(r, b, config, model, device, replays > 0 ? replays : config.guard.replays());
    }
  }
  r.classify();
  return r;
}

std::optional<bool> replay_reproduces(const ReproBundle& b, c10::Device device) {
  const auto config = read_train_config(YAML::Load(b.config_yaml));
  const auto dtype = autocast_dtype(config.train.precision);
  if ((b.stage != "loss" && b.stage != "gradient") || (dtype && !autocast_runs(device.type(), *dtype))) {
    return std::nullopt;
  }
  const ReplayConditions under(b.conditions, 0);
  auto model = bundle_model(b, config);
  for (int64_t i = 0; i < config.guard.replays(); ++i) {
    if (replay_once(b, config, model, device, dtype).reproduced) return true;
  }
  return false;
}

void write_forensics(const std::string& dir, const ReproBundle& bundle, const ForensicsReport& report) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  save_bundle((fs::path(dir) / "bundle.pt").string(), bundle);
  write_report(dir, report);
}

}  // namespace depthguard
