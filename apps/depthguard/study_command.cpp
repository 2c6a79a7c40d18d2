#include "study_command.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include <spdlog/spdlog.h>

#include "depthguard/report/html/html_report.h"
#include "depthguard/runtime/child_process.h"
#include "depthguard/study/study_config.h"
#include "depthguard/study/study_report.h"
#include "depthguard/study/study_runner.h"
#include "number_checks.h"

namespace depthguard {

namespace {

struct StudyArgs {
  std::string config, out;
  int64_t jobs = -1;
  bool no_progress = false;
};

// A study's trainings are independent single processes: a launcher's variables (a study
// started inside a torchrun or srun job) must not make each of them wait for a group.
void leave_launcher_environment() {
  for (const char* name : {"RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"}) {
    if (std::getenv(name) == nullptr) continue;
    spdlog::warn("study: ignoring {} (each run trains as a single process)", name);
    ::unsetenv(name);
  }
}

void run(const StudyArgs& a) {
  namespace fs = std::filesystem;
  leave_launcher_environment();
  auto config = load_study_config(a.config);
  if (a.jobs >= 0) config.jobs = a.jobs;
  StudyOptions options;
  options.out = a.out.empty() ? (fs::path("runs") / ("study-" + fs::path(a.config).stem().string())).string() : a.out;
  options.executable = current_executable();
  options.progress = !a.no_progress;
  const auto results = run_study(config, options);
  const auto arms = summarize_study(results);
  const auto command = "depthguard study --config " + a.config + " --out " + options.out;
  write_study_report(options.out, command, results, arms);
  const auto html = write_html_report(options.out);
  std::cout << study_markdown(arms) << std::flush;
  spdlog::info("wrote {}/study.md, runs.csv, study.json and {}", options.out, html);
}

}  // namespace

void add_study_command(CLI::App& app) {
  auto args = std::make_shared<StudyArgs>();
  auto* cmd = app.add_subcommand("study", "The NaN study: vulnerable vs guideline forms over seeds and stresses");
  cmd->add_option("--config", args->config, "A study file (configs/study/quick.yaml, full.yaml)")->required();
  cmd->add_option("--out", args->out, "Study directory (default: runs/study-NAME); rerun to resume");
  cmd->add_option("--jobs", args->jobs, "Parallel training processes (default: the file's jobs; 0: cores)")
      ->check(non_negative());
  cmd->add_flag("--no-progress", args->no_progress, "Do not draw the progress bar");
  cmd->callback([args] { run(*args); });
}

}  // namespace depthguard
