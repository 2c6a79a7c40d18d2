#include "diagnose_command.h"

#include <iostream>
#include <memory>

#include <spdlog/spdlog.h>

#include "depthguard/train/forensics.h"
#include "depthguard/train/repro_bundle.h"
#include "depthguard/train/script_replay.h"
#include "device_option.h"

namespace depthguard {

namespace {

struct DiagnoseArgs {
  std::string bundle;
  bool json = false;
  std::string device = "auto";
};

ForensicsReport replayed(const DiagnoseArgs& a) {
  if (is_script_bundle(a.bundle)) {  // a Python loop's (docs/python.md)
    spdlog::info("replaying the TorchScript step of {}", a.bundle);
    return replay_script_bundle(a.bundle, device_option_value(a.device));
  }
  const auto bundle = load_bundle(a.bundle);
  spdlog::info("replaying step {} of {} ({} samples)", bundle.step, a.bundle, bundle.samples.size());
  return replay_bundle(bundle, device_option_value(a.device));
}

void run(const DiagnoseArgs& a) {
  const auto report = replayed(a);
  std::cout << (a.json ? report.json() + "\n" : report.text()) << std::flush;
}

}  // namespace

void add_diagnose_command(CLI::App& app) {
  auto args = std::make_shared<DiagnoseArgs>();
  auto* cmd = app.add_subcommand("diagnose", "Replay a non-finite step from its reproducer bundle and explain it");
  cmd->add_option("bundle", args->bundle, "RUN/forensics/step-N (or the bundle.pt inside it; a Python loop's replay.pt)")->required();
  cmd->add_flag("--json", args->json, "Print the report as JSON instead of text");
  add_device_option(cmd, args->device);  // where a bf16 or fp16 run's step is replayed in its precision
  cmd->callback([args] { run(*args); });
}

}  // namespace depthguard
