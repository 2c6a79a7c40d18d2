#include "diagnose_command.h"

#include <iostream>
#include <memory>

#include <spdlog/spdlog.h>

#include "depthguard/train/forensics.h"
#include "depthguard/train/repro_bundle.h"
#include "depthguard/guard/script_replay.h"
#include "device_option.h"

namespace depthguard {

namespace {

struct DiagnoseArgs {
  std::string bundle;
  bool json = false;
  std::string device = "auto";
  int64_t replays = 0;  ///< 0: the run's guard.replays
  int64_t threads = 0;  ///< 0: the step's own thread count, recorded in its reproducer
};

ForensicsReport replayed(const DiagnoseArgs& a) {
  if (is_script_bundle(a.bundle)) {  // a Python loop's (docs/python.md)
    spdlog::info("replaying the TorchScript step of {}", a.bundle);
    return replay_script_bundle(a.bundle, device_option_value(a.device), a.replays, a.threads);
  }
  const auto bundle = load_bundle(a.bundle);
  spdlog::info("replaying step {} of {} ({} samples)", bundle.step, a.bundle, bundle.samples.size());
  return replay_bundle(bundle, device_option_value(a.device), a.replays, a.threads);
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
  add_device_option(cmd, args->device);  // the run's own device: where a step is replayed first
  cmd->add_option("--replays", args->replays,
                  "Replays on --device before the step is called transient (default: the run's guard.replays)")
      ->check(CLI::Range(int64_t{1}, int64_t{100}));
  // The step's own count by default: a reduction's rounding depends on how it is split.
  cmd->add_option("--threads", args->threads,
                  "Intra-op threads of the replays (default: the count the step ran with, from its reproducer)")
      ->check(CLI::Range(int64_t{1}, int64_t{1024}));
  cmd->callback([args] { run(*args); });
}

}  // namespace depthguard
