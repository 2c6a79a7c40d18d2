#pragma once
// The Eigen metrics of one or more predictors as a Markdown table (what eval prints).
#include <string>
#include <utility>
#include <vector>

#include "depthguard/metrics/depth_metrics.h"

namespace depthguard {

/// One row per (name, metrics), columns in the reference order
/// (abs_rel sq_rel rmse rmse_log log10 silog d1 d2 d3), four decimals.
std::string metrics_table(const std::vector<std::pair<std::string, DepthMetrics>>& rows);

}  // namespace depthguard
