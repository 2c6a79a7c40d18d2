#pragma once
// `depthguard report`: one self-contained report.html for a training run or a study, to
// open in any browser (docs/reports.md).
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace depthguard {

/// What the page of a run shows, read from its directory: the logged curves
/// (metrics.jsonl), its routine loss-scale overflows, its non-finite events with their forensics reports, the evaluations, the
/// final metrics next to the median baseline (eval.json, when `depthguard eval
/// --median-baseline` wrote one), the held-out samples (samples/), the resolved
/// config.yaml and the run's facts (summary.json; a run still training has none yet).
/// Throws std::runtime_error naming the file that is missing or malformed.
nlohmann::json run_report_data(const std::string& run_dir);

/// What the page of a study shows, read from its study.json (summaries and runs).
nlohmann::json study_report_data(const std::string& study_dir);

/// Writes DIR/report.html (atomically) for a run directory (it holds metrics.jsonl) or a
/// study directory (it holds study.json) and returns its path. Throws std::runtime_error
/// naming `dir` when it is neither, or the file that cannot be read.
std::string write_html_report(const std::string& dir);

}  // namespace depthguard
