#include "depthguard/guard/script_replay.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <torch/script.h>

#include "depthguard/guard/finite_check.h"
#include "depthguard/guard/nonfinite_recorder.h"
#include "depthguard/runtime/atomic_file.h"

namespace depthguard {

namespace fs = std::filesystem;

namespace {

fs::path bundle_dir(const std::string& path) {
  return fs::path(path).filename() == "replay.pt" ? fs::path(path).parent_path() : fs::path(path);
}

// step, stage, samples and history of the investigation that wrote the bundle.
ForensicsReport report_of(const fs::path& file) {
  const auto text = read_whole_file(file, "the reproducer's report");
  ForensicsReport r;
  try {
    const auto j = nlohmann::json::parse(text);
    r.step = j.at("step").get<int64_t>();
    r.iteration = j.value("iteration", int64_t{-1});
    r.stage = j.at("stage").get<std::string>();
    r.samples = j.at("samples").get<std::vector<std::string>>();
    r.history = history_from_json(j.at("history").dump());
    r.run_device = j.value("run_device", "");
  } catch (const std::exception& e) {
    throw std::runtime_error(file.string() + ": not a forensics report: " + e.what());
  }
  return r;
}

// The step's conditions, none recorded in a reproducer from before they were.
StepConditions conditions_of(const fs::path& file) {
  if (!fs::exists(file)) return {};
  try {
    return StepConditions::from_bytes(read_whole_file(file, "the step's conditions"));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(file.string() + ": " + e.what());
  }
}

constexpr const char* kConditionsFile = "conditions.pt";

}  // namespace

void write_script_conditions(const std::string& dir, const StepConditions& conditions) {
  write_file_atomically((fs::path(dir) / kConditionsFile).string(), conditions.bytes());
}

bool is_script_bundle(const std::string& path) { return fs::is_regular_file(bundle_dir(path) / "replay.pt"); }

ForensicsReport replay_script_bundle(const std::string& path, c10::Device device, int64_t replays, int64_t threads) {
  const auto dir = bundle_dir(path);
  auto r = report_of(dir / "report.json");
  r.terms = FixTerms::PyTorch;
  const auto conditions = conditions_of(dir / kConditionsFile);
  const auto script = (dir / "replay.pt").string();
  torch::jit::Module replay;
  try {
    replay = torch::jit::load(script, device);
  } catch (const c10::Error& e) {
    throw std::runtime_error(script + ": not a TorchScript replay: " + e.what_without_backtrace());
  }
  replay.train();
  const ReplayConditions under(conditions, threads);
  r.intra_op_threads = under.threads();
  if (r.run_device.empty()) r.run_device = device.str();
  std::vector<torch::Tensor> parameters;
  for (const auto& p : replay.parameters()) parameters.push_back(p);
  bool reproduced = false;
  for (int64_t i = 0; i < std::max<int64_t>(replays, 1) && !reproduced; ++i) {
    under.restart();
    for (auto& p : parameters) p.mutable_grad() = torch::Tensor();
    auto op = first_nonfinite_op([&] {
      const auto loss = replay.forward({}).toTensor();
      reproduced = !torch::isfinite(loss.detach()).all().item<bool>();
      loss.backward();
    });
    // The value the sentinel saw: the loss, or for a gradient event a gradient.
    reproduced = reproduced || (r.stage == "gradient" && !all_finite(gradients_of(parameters)));
    if (reproduced) r.op = std::move(op);
    r.replays.push_back({device.str(), "", reproduced});
  }
  r.classify();
  return r;
}

}  // namespace depthguard
