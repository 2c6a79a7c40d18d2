#include "audit_command.h"

#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "depthguard/config/train_config.h"
#include "depthguard/data/data_loader.h"
#include "depthguard/runtime/cpu_kernels.h"
#include "depthguard/runtime/threads.h"
#include "depthguard/train/kernel_check.h"

namespace depthguard {

namespace {

struct AuditArgs {
  std::string config;
  std::vector<std::string> overrides;
  bool json = false;
};

// The run's first batch, as the trainer's loader makes it.
Batch first_batch(const TrainConfig& config) {
  const auto data = make_dataset(config.data);
  if (data->size() == 0) throw std::runtime_error("the training data has no samples");
  DataLoader loader(data, LoaderOptions(config.data.loader).drop_last(false));
  loader.start_epoch(0);
  auto batch = loader.next();
  if (!batch) throw std::runtime_error("the training data gave no batch (every sample of the first was skipped)");
  return std::move(*batch);
}

void run(const AuditArgs& a) {
  const auto config = read_train_config(load_config(a.config, a.overrides));
  if (config.train.threads > 0) {
    spdlog::info("using {} intra-op thread(s) (train.threads)", configure_threads(config.train.threads));
  }
  const auto device = training_device(config.train);
  torch::manual_seed(config.train.seed);
  DepthModel model(config.model);
  const auto batch = first_batch(config);
  const bool channels_last = use_channels_last(config.train.channels_last, device);
  auto image = batch.image.to(device);
  if (channels_last) image = image.contiguous(torch::MemoryFormat::ChannelsLast);
  spdlog::info("auditing one step of {} on {}, {}, batch {}", describe_model(config.model), device.str(),
               channels_last ? "channels-last" : "NCHW", fmt::join(image.sizes(), "x"));
  const auto report = check_kernels(config, model, image, batch.depth.to(device));
  std::cout << (a.json ? report.json().dump(2) + "\n" : report.text()) << std::flush;
  if (!report.clean()) {
    throw std::runtime_error(fmt::format("{} kernel{} compute{} wrong on this machine", report.findings.size(),
                                         report.findings.size() == 1 ? "" : "s",
                                         report.findings.size() == 1 ? "s" : ""));
  }
}

}  // namespace

void add_audit_command(CLI::App& app) {
  auto args = std::make_shared<AuditArgs>();
  auto* cmd = app.add_subcommand("audit", "Check one training step's kernels against float64 before a run");
  cmd->add_option("--config", args->config, "YAML config of the run (see configs/ and docs/config.md)")->required();
  cmd->add_option("--set", args->overrides, "Override a config key: --set train.precision=bf16 (repeatable)");
  cmd->add_flag("--json", args->json, "Print the report as JSON instead of text");
  cmd->callback([args] { run(*args); });
}

}  // namespace depthguard
