#pragma once
// `train --profile N`: where a training step's time goes. Records N steps after the
// session's first (which pays for first allocations and kernel choices), then writes
// RUN/profile/operators.txt (every operator, most self time first) and RUN/profile/trace.json
// (every call, for chrome://tracing or ui.perfetto.dev), and logs the top operators.
// Training goes on as before; the timers cost about a microsecond per operator call.
#include <cstdint>
#include <string>

#include "depthguard/runtime/op_profiler.h"

namespace depthguard {

class StepProfiler {
 public:
  /// steps = 0: off. directory: where operators.txt and trace.json go.
  StepProfiler(int64_t steps, std::string directory);

  /// Around every step the trainer attempts (a step the sentinel drops counts too).
  void before_step();
  void after_step();
  /// At the end of the session: writes what was recorded if fewer steps ran than asked.
  void finish();

 private:
  void write();

  int64_t steps_;
  std::string directory_;
  int64_t attempted_ = 0;
  int64_t recorded_steps_ = 0;
  OpProfiler profiler_{true};
};

}  // namespace depthguard
