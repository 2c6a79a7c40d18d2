#pragma once
// Where a training step's time goes, operator by operator. LibTorch reports every operator,
// autograd node and named region (OpScope) to its RecordFunction callbacks in both the 1.x
// and 2.x builds; this times them with a steady clock, so it needs neither Kineto nor the
// Python profiler. Times are wall times on the calling thread: an operator's intra-op
// worker threads are inside its time; on a GPU it would be launch time, not kernel time.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace depthguard {

/// One operator (or autograd node) summed over its calls.
struct OperatorTime {
  std::string name;  ///< "aten::convolution_backward", "ReluBackward0", ...
  int64_t calls = 0;
  double self_ms = 0;   ///< time inside it, minus the operators it called
  double total_ms = 0;  ///< time inside it, the operators it called included
};

/// One call, for a timeline viewer (chrome://tracing, Perfetto).
struct TraceEvent {
  std::string name;
  std::string category;  ///< "op", "backward" (an autograd node) or "scope" (an OpScope)
  double start_us = 0;   ///< since the profiler was created
  double duration_us = 0;
  uint64_t thread = 0;  ///< a small number per thread, in order of first appearance
};

/// Records what the thread that calls start() runs (and autograd runs for it) until stop();
/// several windows add up. One profiler records at a time in a process (start() of a
/// second throws InvalidArgument); start() and stop() belong on the same thread.
class OpProfiler {
 public:
  /// keep_trace: also keep every call as a TraceEvent (memory grows with the calls).
  explicit OpProfiler(bool keep_trace = false);
  ~OpProfiler();
  OpProfiler(const OpProfiler&) = delete;
  OpProfiler& operator=(const OpProfiler&) = delete;

  void start();
  void stop();
  bool recording() const { return recording_; }

  /// Operators and autograd nodes, most self time first (ties: by name). Named regions
  /// are left out: their time is their operators'.
  std::vector<OperatorTime> operators() const;
  /// Wall time of the recorded windows (the denominator for shares of the step).
  double recorded_ms() const { return recorded_ms_; }
  const std::vector<TraceEvent>& trace() const { return trace_; }

  /// Called by the RecordFunction callbacks; not for users.
  void add(const TraceEvent& call, double self_us);
  double now_us() const;

 private:
  struct Totals {
    int64_t calls = 0;
    double self_us = 0, total_us = 0;
  };
  const bool keep_trace_;
  const std::chrono::steady_clock::time_point epoch_ = std::chrono::steady_clock::now();
  bool recording_ = false;
  uint64_t callback_ = 0;
  double window_start_us_ = 0, recorded_ms_ = 0;
  mutable std::mutex mutex_;  // autograd may run nodes on its own threads (GPU)
  std::unordered_map<std::string, Totals> totals_;
  std::vector<TraceEvent> trace_;
};

}  // namespace depthguard
