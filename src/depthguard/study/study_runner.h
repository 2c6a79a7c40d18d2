#pragma once
// Runs a study: one `depthguard train` process per run, several at a time, resumable.
#include <string>
#include <vector>

#include "depthguard/study/run_result.h"
#include "depthguard/study/study_config.h"

namespace depthguard {

struct StudyOptions {
  std::string out;         ///< the study directory
  std::string executable;  ///< the depthguard binary that runs each training
  bool progress = true;
};

/// Runs every run of `config` that `options.out` does not hold a result for yet, `jobs`
/// processes at a time, and returns the results of all runs in study_runs order.
/// Layout: out/configs/ID.yaml (the run's config), out/runs/ID/ (its run directory, with
/// result.json once finished), out/logs/ID.log (its console output). A run left without a
/// result (interrupted) continues from its last checkpoint on the next call. A run that
/// halts on a non-finite value is evaluated from its last good checkpoint.
/// Ctrl-C reaches the running trainings, which save; then throws Interrupted.
std::vector<RunResult> run_study(const StudyConfig& config, const StudyOptions& options);

}  // namespace depthguard
