#include "depthguard/report/operator_profile.h"

#include <algorithm>

#include <c10/util/Exception.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "depthguard/runtime/atomic_file.h"

namespace depthguard {

std::string operator_table(const std::vector<OperatorTime>& operators, double recorded_ms, int64_t steps,
                           size_t rows) {
  TORCH_CHECK(steps >= 1, "operator_table: steps must be >= 1, got ", steps);
  const double per_step = 1.0 / static_cast<double>(steps);
  const auto share = [&](double ms) { return recorded_ms > 0 ? 100.0 * ms / recorded_ms : 0.0; };
  const size_t shown = std::min(rows, operators.size());
  size_t name_width = 8;
  for (size_t i = 0; i < shown; ++i) name_width = std::max(name_width, operators[i].name.size());
  std::string out = fmt::format("{:<{}}  {:>10}  {:>6}  {:>10}  {:>8}\n", "operator", name_width, "self ms", "share",
                                "total ms", "calls");
  double rest_ms = 0;
  for (size_t i = 0; i < operators.size(); ++i) {
    const auto& op = operators[i];
    if (i >= shown) {
      rest_ms += op.self_ms;
      continue;
    }
    out += fmt::format("{:<{}}  {:>10.2f}  {:>5.1f}%  {:>10.2f}  {:>8.1f}\n", op.name, name_width,
                       op.self_ms * per_step, share(op.self_ms), op.total_ms * per_step,
                       static_cast<double>(op.calls) * per_step);
  }
  out += fmt::format("{:<{}}  {:>10.2f}  {:>5.1f}%\n", fmt::format("({} other operators)", operators.size() - shown),
                     name_width, rest_ms * per_step, share(rest_ms));
  out += fmt::format("per step over {} step(s): {:.1f} ms recorded\n", steps, recorded_ms * per_step);
  return out;
}

void write_chrome_trace(const std::string& path, const std::vector<TraceEvent>& trace) {
  auto events = nlohmann::json::array();
  for (const auto& e : trace) {
    events.push_back({{"name", e.name},
                      {"cat", e.category},
                      {"ph", "X"},  // a complete event: start and duration
                      {"ts", e.start_us},
                      {"dur", e.duration_us},
                      {"pid", 0},
                      {"tid", e.thread}});
  }
  write_file_atomically(path, nlohmann::json{{"traceEvents", events}, {"displayTimeUnit", "ms"}}.dump() + "\n");
}

}  // namespace depthguard
