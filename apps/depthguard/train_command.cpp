#include "train_command.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "depthguard/config/train_config.h"
#include "depthguard/core/errors.h"
#include "depthguard/dist/dist_environment.h"
#include "depthguard/runtime/threads.h"
#include "depthguard/train/trainer.h"
#include "number_checks.h"
#include "rank_launcher.h"

namespace depthguard {

namespace {

struct TrainArgs {
  std::string config, out;
  std::vector<std::string> overrides;
  std::string inject;
  RunOptions run;
  bool no_progress = false;
  int nproc = 1;
};

// The train command line of one rank under --nproc: these arguments, without --nproc (and
// --inject, which is in the overrides by then).
std::vector<std::string> rank_command(const TrainArgs& a) {
  std::vector<std::string> argv{"train", "--out", a.out};
  if (!a.config.empty()) argv.insert(argv.end(), {"--config", a.config});
  for (const auto& o : a.overrides) argv.insert(argv.end(), {"--set", o});
  if (a.run.resume) argv.emplace_back("--resume");
  if (!a.run.init.empty()) argv.insert(argv.end(), {"--init", a.run.init});
  if (a.run.profile_steps > 0) argv.insert(argv.end(), {"--profile", std::to_string(a.run.profile_steps)});
  if (a.no_progress) argv.emplace_back("--no-progress");
  return argv;
}

void run(TrainArgs a) {
  namespace fs = std::filesystem;
  if (a.config.empty() && !a.run.resume) throw InvalidArgument("--config: required (unless --resume)");
  if (a.out.empty()) {
    if (a.config.empty()) throw InvalidArgument("--out: required with --resume");
    a.out = (fs::path("runs") / fs::path(a.config).stem()).string();
  }
  if (!a.inject.empty()) {
    // SITE:VALUE:STEP[:RUNS], the guard.inject* keys in one option (RUNS once = 1).
    std::vector<std::string> parts;
    for (size_t at = 0, colon = 0; colon != std::string::npos; at = colon + 1) {
      colon = a.inject.find(':', at);
      parts.push_back(a.inject.substr(at, colon == std::string::npos ? std::string::npos : colon - at));
    }
    if (parts.size() != 3 && parts.size() != 4) {
      throw InvalidArgument("--inject " + a.inject +
                            ": expected SITE:VALUE:STEP[:RUNS], e.g. gradient:nan:10 or gradient:nan:10:once");
    }
    a.overrides.push_back("guard.inject=" + parts[0]);
    a.overrides.push_back("guard.inject_value=" + parts[1]);
    a.overrides.push_back("guard.inject_step=" + parts[2]);
    if (parts.size() == 4) a.overrides.push_back("guard.inject_runs=" + (parts[3] == "once" ? "1" : parts[3]));
  }
  // A resumed run continues with the configuration it saved, unless given another.
  const auto file = a.config.empty() ? (fs::path(a.out) / "config.yaml").string() : a.config;
  const auto config = read_train_config(load_config(file, a.overrides));
  if (config.train.threads > 0) {
    spdlog::info("using {} intra-op thread(s) (train.threads)", configure_threads(config.train.threads));
  }
  if (a.nproc > 1 && !std::getenv("WORLD_SIZE")) {  // the launcher: its ranks train
    launch_ranks(rank_command(a), a.nproc, std::max(1, torch::get_num_threads() / a.nproc), a.out);
    return;
  }
  a.run.out = a.out;
  a.run.progress = !a.no_progress;
  a.run.dist = dist_options_from_environment(config.dist);
  const auto s = train(config, a.run);
  if (a.run.dist && a.run.dist->rank() > 0) return;  // rank 0 reports the run
  if (s.already_finished) return;  // the trainer said so; nothing was written
  spdlog::info("trained {} steps in {:.1f} s ({:.1f} images/s); last loss {:.4f}", s.steps, s.seconds,
               s.images_per_second, s.last_loss);
  if (s.final_eval) {
    spdlog::info("final eval: abs_rel {:.4f} rmse {:.4f} d1 {:.4f}; best abs_rel {:.4f} at step {}",
                 s.final_eval->abs_rel, s.final_eval->rmse, s.final_eval->d1, s.best_abs_rel, s.best_step);
  } else {
    spdlog::warn("final eval: no evaluation image has valid ground truth; no metrics and no best.pt");
  }
  // Only the files that were written.
  std::vector<std::string> files;
  for (const char* f : {"checkpoints/last.pt", "checkpoints/best.pt", "metrics.jsonl", "summary.json"}) {
    if (std::filesystem::exists(std::filesystem::path(a.out) / f)) files.emplace_back(f);
  }
  spdlog::info("run directory: {} ({})", a.out, fmt::format("{}", fmt::join(files, ", ")));
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  auto* cmd = app.add_subcommand("train", "Train a depth network from a YAML config");
  cmd->add_option("--config", args->config, "YAML config (see configs/ and docs/config.md)");
  cmd->add_option("--set", args->overrides, "Override a config key: --set loss.reduction=sqrt (repeatable)");
  cmd->add_option("--out", args->out, "Run directory (default: runs/<config name>)");
  cmd->add_flag("--resume", args->run.resume, "Continue the run in --out from checkpoints/last.pt");
  cmd->add_option("--init", args->run.init, "Start from this checkpoint's weights (fine-tuning)");
  cmd->add_option("--inject", args->inject,
                  "Fault injection SITE:VALUE:STEP[:RUNS] (site image|depth|loss|gradient|weight, value nan|inf; "
                  "RUNS once or N: only the step's first N runs get it, a transient fault)");
  cmd->add_flag("--no-progress", args->no_progress, "Do not draw the progress bar");
  cmd->add_option("--profile", args->run.profile_steps,
                  "Time every operator of N steps (after the first) into RUN/profile/: operators.txt, trace.json")
      ->check(non_negative());
  cmd->add_option("--nproc", args->nproc,
                  "Data-parallel ranks on this machine (each with --threads / N threads; batch size per rank); "
                  "under torchrun or srun, the environment's RANK and WORLD_SIZE instead")
      ->check(positive());
  cmd->callback([args] { run(*args); });
}

}  // namespace depthguard
