#include "depthguard/report/metrics_table.h"

#include <fmt/format.h>

namespace depthguard {

std::string metrics_table(const std::vector<std::pair<std::string, DepthMetrics>>& rows) {
  size_t name_width = 9;
  for (const auto& row : rows) name_width = std::max(name_width, row.first.size());
  std::string header = fmt::format("| {:<{}} |", "predictor", name_width);
  std::string rule = fmt::format("|{}|", std::string(name_width + 2, '-'));
  for (const auto& field : metric_fields(DepthMetrics{})) {
    header += fmt::format(" {:>8} |", field.first);
    rule += std::string(10, '-') + "|";
  }
  std::string out = header + "\n" + rule + "\n";
  for (const auto& [name, m] : rows) {
    out += fmt::format("| {:<{}} |", name, name_width);
    for (const auto& field : metric_fields(m)) out += fmt::format(" {:>8.4f} |", field.second);
    out += "\n";
  }
  return out;
}

}  // namespace depthguard
