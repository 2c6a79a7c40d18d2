#include "depthguard/train/repro_bundle.h"

#include <filesystem>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "depthguard/guard/forensics_report.h"
#include "depthguard/runtime/atomic_file.h"
#include "depthguard/train/sealed_archive.h"

namespace depthguard {

namespace {

constexpr int64_t kBundleFormat = 1;

// Raw bytes travel as a uint8 tensor: LibTorch's archive strings are meant for text.
torch::Tensor bytes_tensor(const std::string& bytes) {
  return torch::from_blob(const_cast<char*>(bytes.data()), {static_cast<int64_t>(bytes.size())}, torch::kUInt8)
      .clone();
}

std::string tensor_bytes(const torch::Tensor& t) {
  const auto c = t.contiguous();
  return std::string(static_cast<const char*>(c.data_ptr()), static_cast<size_t>(c.numel()));
}

std::string read_string(torch::serialize::InputArchive& a, const std::string& key) {
  c10::IValue v;
  a.read(key, v);
  return v.toStringRef();
}

}  // namespace

void save_bundle(const std::string& path, const ReproBundle& b) {
  torch::serialize::OutputArchive a;
  a.write("depthguard_bundle", torch::tensor(kBundleFormat));
  a.write("state", bytes_tensor(b.state));
  a.write("config", c10::IValue(b.config_yaml));
  a.write("image", b.image.detach().cpu());
  a.write("depth", b.depth.detach().cpu());
  a.write("samples", c10::IValue(nlohmann::json(b.samples).dump()));
  a.write("step", torch::tensor(b.step));
  a.write("iteration", torch::tensor(b.iteration));
  a.write("stage", c10::IValue(b.stage));
  a.write("injected", c10::IValue(b.injected));
  a.write("history", c10::IValue(history_json(b.history)));
  a.write("device", c10::IValue(b.device));
  a.write("loss_scale", torch::tensor(b.loss_scale, torch::kDouble));
  a.write("conditions", bytes_tensor(b.conditions.bytes()));
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  // In memory first: LibTorch's file writer aborts on a full disk.
  write_file_atomically(path, sealed_bytes(a));
}

ReproBundle load_bundle(const std::string& path) {
  const auto file = std::filesystem::is_directory(path) ? (std::filesystem::path(path) / "bundle.pt").string() : path;
  if (!std::filesystem::is_regular_file(file)) throw std::runtime_error(file + ": reproducer bundle not found");
  ReproBundle b;
  try {
    torch::serialize::InputArchive a;
    load_sealed(file, a);
    torch::Tensor format, state, step;
    a.read("depthguard_bundle", format);
    if (format.item<int64_t>() != kBundleFormat) throw std::runtime_error("unknown bundle format");
    a.read("state", state);
    b.state = tensor_bytes(state);
    b.config_yaml = read_string(a, "config");
    a.read("image", b.image);
    a.read("depth", b.depth);
    b.samples = nlohmann::json::parse(read_string(a, "samples")).get<std::vector<std::string>>();
    a.read("step", step);
    b.step = step.item<int64_t>();
    b.stage = read_string(a, "stage");
    b.injected = read_string(a, "injected");
    b.history = history_from_json(read_string(a, "history"));
    // Kept since the replays that tell a transient fault; older bundles lack them.
    c10::IValue device;
    if (a.try_read("device", device)) b.device = device.toStringRef();
    torch::Tensor scale;
    if (a.try_read("loss_scale", scale)) b.loss_scale = scale.item<double>();
    torch::Tensor iteration;
    if (a.try_read("iteration", iteration)) b.iteration = iteration.item<int64_t>();
    torch::Tensor conditions;
    if (a.try_read("conditions", conditions)) b.conditions = StepConditions::from_bytes(tensor_bytes(conditions));
  } catch (const c10::Error& e) {
    throw std::runtime_error(file + ": not a readable depthguard reproducer bundle (truncated or another format): " +
                             std::string(e.what_without_backtrace()).substr(0, 200));
  } catch (const std::exception& e) {
    throw std::runtime_error(file + ": not a readable depthguard reproducer bundle: " + e.what());
  }
  return b;
}

}  // namespace depthguard
