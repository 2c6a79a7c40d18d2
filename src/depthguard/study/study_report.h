#pragma once
// What a study found, per (variant, stress): how often a non-finite value appeared (with a
// 95% Wilson interval), when, why, and the accuracy reached; as Markdown, CSV and JSON.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "depthguard/study/run_result.h"
#include "depthguard/study/wilson_interval.h"

namespace depthguard {

/// Mean and sample standard deviation (N - 1; 0 for N = 1) of a metric over the runs that
/// have metrics; none for N = 0.
struct MeanStd {
  double mean = 0, std = 0;
  int64_t n = 0;
};

struct ArmSummary {
  std::string variant, stress;
  int64_t runs = 0;
  int64_t nonfinite = 0;  ///< runs that met a non-finite value
  int64_t failed = 0;     ///< runs that stopped for another reason (see their logs)
  Interval rate;          ///< 95% Wilson interval of nonfinite / runs
  std::optional<double> median_first_step;  ///< over the runs that met one
  int64_t warned = 0;                       ///< of those, runs with a spike warning before it
  std::optional<double> median_spike_lead;  ///< steps from the earliest warning to it, over those
  std::map<std::string, int64_t> causes;    ///< forensics cause -> runs
  std::optional<MeanStd> abs_rel, rmse, d1;
};

/// One summary per (variant, stress), in the order the runs come (study_runs order).
std::vector<ArmSummary> summarize_study(const std::vector<RunResult>& results);

/// The summary table in Markdown (also what `depthguard study` prints).
std::string study_markdown(const std::vector<ArmSummary>& arms);

/// Writes study.md (table + how it was made), runs.csv (one line per run) and study.json
/// (summaries and runs) into `out`, atomically.
void write_study_report(const std::string& out, const std::string& command, const std::vector<RunResult>& results,
                        const std::vector<ArmSummary>& arms);

}  // namespace depthguard
