#pragma once
// What `train --profile` and the step benchmark show of an OpProfiler: the operators that
// take a step's time, as a table, and every call as a Chrome trace.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "depthguard/runtime/op_profiler.h"

namespace depthguard {

/// The first `rows` operators (most self time first) per step: self ms, share of the
/// recorded wall time, total ms, calls; then the rest summed, and the recorded time.
/// steps >= 1 (TORCH_CHECK).
std::string operator_table(const std::vector<OperatorTime>& operators, double recorded_ms, int64_t steps,
                           size_t rows);

/// Writes `trace` as Chrome trace-event JSON (open in chrome://tracing or ui.perfetto.dev),
/// atomically: a failed write leaves no partial file.
void write_chrome_trace(const std::string& path, const std::vector<TraceEvent>& trace);

}  // namespace depthguard
