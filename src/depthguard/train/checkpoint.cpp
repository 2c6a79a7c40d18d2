#include "depthguard/train/checkpoint.h"

#include <filesystem>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include "depthguard/guard/nonfinite_findings.h"
#include "depthguard/guard/state_snapshot.h"
#include "depthguard/runtime/atomic_file.h"
#include "depthguard/train/sealed_archive.h"

namespace depthguard {

namespace {

constexpr int64_t kFormat = 1;

void write_int(torch::serialize::OutputArchive& a, const std::string& key, int64_t v) {
  a.write(key, torch::tensor(v, torch::kInt64));
}

int64_t read_int(torch::serialize::InputArchive& a, const std::string& key) {
  torch::Tensor t;
  a.read(key, t);
  return t.item<int64_t>();
}

torch::serialize::InputArchive open(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) throw std::runtime_error(path + ": checkpoint not found");
  torch::serialize::InputArchive archive;
  try {
    load_sealed(path, archive);
    if (read_int(archive, "depthguard_format") != kFormat) throw std::runtime_error("unknown format version");
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": not a readable depthguard checkpoint (truncated or another format): " +
                             std::string(e.what_without_backtrace()).substr(0, 200));
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": not a readable depthguard checkpoint: " + e.what());
  }
  return archive;
}

TrainState read_state(torch::serialize::InputArchive& a) {
  TrainState s;
  s.step = read_int(a, "step");
  s.epoch = read_int(a, "epoch");
  s.batch_in_epoch = read_int(a, "batch_in_epoch");
  s.best_step = read_int(a, "best_step");
  torch::Tensor best;
  a.read("best_metric", best);
  s.best_metric = best.item<double>();
  torch::Tensor scale, nonfinite;
  if (a.try_read("lr_scale", scale)) s.lr_scale = scale.item<double>();
  if (a.try_read("nonfinite_steps", nonfinite)) s.nonfinite_steps = nonfinite.item<int64_t>();
  torch::Tensor loss_scale, good_steps;  // loss scaling; absent from runs without it and older files
  if (a.try_read("loss_scale", loss_scale)) s.loss_scale = loss_scale.item<double>();
  if (a.try_read("scale_good_steps", good_steps)) s.scale_good_steps = good_steps.item<int64_t>();
  c10::IValue config;
  a.read("config", config);
  s.config_yaml = config.toStringRef();
  return s;
}

void check_finite(torch::nn::Module& model) {
  const auto findings = parameter_findings(model);
  if (!findings.empty()) {
    throw std::runtime_error(fmt::format("refusing to write a checkpoint: {}", fmt::join(findings, "; ")));
  }
}

torch::serialize::OutputArchive make_archive(torch::nn::Module& model, torch::optim::Optimizer* optimizer,
                                             const TrainState& s) {
  torch::serialize::OutputArchive archive;
  write_int(archive, "depthguard_format", kFormat);
  write_int(archive, "step", s.step);
  write_int(archive, "epoch", s.epoch);
  write_int(archive, "batch_in_epoch", s.batch_in_epoch);
  write_int(archive, "best_step", s.best_step);
  write_int(archive, "nonfinite_steps", s.nonfinite_steps);
  archive.write("best_metric", torch::tensor(s.best_metric, torch::kFloat64));
  archive.write("lr_scale", torch::tensor(s.lr_scale, torch::kFloat64));
  archive.write("loss_scale", torch::tensor(s.loss_scale, torch::kFloat64));
  write_int(archive, "scale_good_steps", s.scale_good_steps);
  archive.write("config", c10::IValue(s.config_yaml));
  write_training_state(archive, model, optimizer);
  return archive;
}

}  // namespace

std::string checkpoint_bytes(torch::nn::Module& model, torch::optim::Optimizer* optimizer, const TrainState& state) {
  std::ostringstream out;
  make_archive(model, optimizer, state).save_to(out);
  return out.str();
}

TrainState restore_checkpoint_bytes(const std::string& bytes, torch::nn::Module& model,
                                    torch::optim::Optimizer* optimizer) {
  std::istringstream in(bytes);
  torch::serialize::InputArchive archive;
  archive.load_from(in, torch::kCPU);
  const auto state = read_state(archive);
  read_training_state(archive, model, optimizer);
  return state;
}

void save_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer,
                     const TrainState& state) {
  check_finite(model);
  const auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir);
  auto archive = make_archive(model, optimizer, state);
  write_file_atomically(path, sealed_bytes(archive));
}

TrainState load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer) {
  auto archive = open(path);
  const auto state = read_state(archive);
  try {
    read_training_state(archive, model, optimizer);
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": does not match this model: " + e.what_without_backtrace());
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(path + ": does not match this model: " + e.what());
  }
  return state;
}

TrainState read_checkpoint_state(const std::string& path) {
  auto archive = open(path);
  return read_state(archive);
}

}  // namespace depthguard
