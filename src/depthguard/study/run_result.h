#pragma once
// The outcome of one study run, read from its run directory and kept as result.json there
// (its presence marks the run as finished when a study resumes).
#include <cstdint>
#include <optional>
#include <string>

#include "depthguard/metrics/depth_metrics.h"
#include "depthguard/study/study_config.h"

namespace depthguard {

struct RunResult {
  StudyRun run;
  std::string status;  ///< completed, halted (non-finite value), failed (see the log)
  int64_t steps = 0;   ///< optimiser steps done
  std::optional<int64_t> nonfinite_step;  ///< the step where the first non-finite value appeared
  std::string stage;                      ///< where the sentinel saw it
  std::string cause;                      ///< the forensics cause (v1_sqrt, ...)
  /// Steps from the earliest spike warning in the forensics report's history (the 50 good
  /// steps before the event) to the first non-finite step; none without a warning there.
  std::optional<int64_t> spike_lead;
  std::optional<DepthMetrics> metrics;    ///< held-out Eigen metrics
  std::string metrics_from;  ///< "final" or "last good checkpoint (step K)"; "" when none
  double seconds = 0;
};

/// Reads what a finished `depthguard train` left in `run_dir` (summary.json, the forensics
/// report, and for a halted run the eval.json that `depthguard eval` wrote for its last good
/// checkpoint) given its exit code (core/exit_codes.h). exit_code::kOk: completed;
/// exit_code::kNonFinite: halted; anything else: failed.
RunResult collect_result(const StudyRun& run, const std::string& run_dir, int code, double seconds);

std::string result_json(const RunResult& r);
/// Throws std::runtime_error naming `path` when the file is missing or malformed.
RunResult read_result(const std::string& path);

}  // namespace depthguard
