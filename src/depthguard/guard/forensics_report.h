#pragma once
// What the sentinel found at a non-finite step, in JSON for tools and in plain text for the
// console: where the value appeared, the first operator that produced it, its inputs, the
// cause and the guideline that prevents it.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "depthguard/guard/nonfinite_cause.h"
#include "depthguard/guard/nonfinite_recorder.h"
#include "depthguard/guard/spike_detector.h"

namespace depthguard {

/// One replay of the step, in the order they ran.
struct StepReplay {
  std::string device;     ///< "cpu", "cuda:0"
  std::string precision;  ///< "float32", "float16", "bfloat16"; "" for a loop's own (in place)
  bool nonfinite = false; ///< whether it made a non-finite value again
};

/// A step in the loop's own words: "step 9" (its iteration), with the updates kept second
/// where they differ ("step 9 (4 updates kept)": after skips or a rollback). An iteration
/// below 0 (not known: a reproducer from before it was kept) is the step.
std::string step_words(int64_t iteration, int64_t updates_kept);

struct ForensicsReport {
  int64_t step = 0;       ///< updates kept before it (what a rollback or a checkpoint counts)
  int64_t iteration = -1; ///< the loop's own number of the step; -1: not known (then `step`)

  /// The loop's own number of the step: `iteration`, or `step` where it is not known.
  int64_t loop_step() const { return iteration < 0 ? step : iteration; }
  std::string stage;                 ///< where the sentinel saw it: input, loss, gradient, weight
  std::vector<std::string> samples;  ///< ids of the batch's samples
  std::string injected;              ///< "site:value" when guard.inject fired at this step, else ""
  std::optional<NonFiniteOp> op;     ///< the first non-finite operator of the replay
  /// The autocast dtype ("float16", "bfloat16") of the replay that found `op`, when the
  /// step was replayed in the run's precision and again in float32 and only the first was
  /// non-finite; "" when float32 reproduces it (or the run is float32).
  std::string precision_only;
  /// The device ("cuda:0") on which alone `op` is non-finite: finite on the CPU in the same
  /// precision (and in float32); "" otherwise.
  std::string device_only;
  std::string run_device;            ///< where the run trained ("cpu", "cuda:0"); "" when not known
  std::string run_precision;         ///< its precision as StepReplay names it ("" for a loop's own)
  std::vector<StepReplay> replays;   ///< loss and gradient stages: the replays that ran
  std::vector<std::string> findings; ///< non-finite tensors named: batch samples, parameters
  std::vector<StepRecord> history;   ///< the good steps before this one, oldest first
  std::vector<Spike> spikes;         ///< the spike warnings among them
  NonFiniteCause cause = NonFiniteCause::Unknown;
  std::string reason;  ///< the evidence for `cause`, in words
  /// Whose terms the fix is in: the trainer's config keys, or PyTorch code for a loop's own
  /// replay (its operator's call site is where the fix goes).
  FixTerms terms = FixTerms::Trainer;
  int64_t intra_op_threads = 0;  ///< the replays' intra-op thread count; 0 when not recorded

  /// The fix in `terms` (cause_remedy).
  const std::string& remedy() const { return cause_remedy(cause, terms); }
  /// The lines the fix changes, "file:line": the operator's call site, and for V2 also the
  /// sigmoid's (the fused form replaces both); none without call sites.
  std::vector<std::string> fix_at() const;

  /// Sets cause and reason from the evidence above: injection first (a fault that every run
  /// gets; one injected on the first run only, ":once", is judged by the replays like any
  /// other), then non-finite input, then transient (replays ran on run_device in
  /// run_precision and none was non-finite), then an operator non-finite in reduced precision only (precision, the
  /// reason naming what cause_of_op sees in it) or on the device only (device_kernel), then
  /// the operator (cause_of_op), where an overflow or unknown operator after fast growth
  /// (growth_before_event) becomes exploding; a weight-stage event without an operator is
  /// exploding after growth, else an overflow of the optimiser's update.
  void classify();

  std::string json() const;  ///< one JSON object (keys in docs/training.md)
  std::string text() const;  ///< several lines for a console
};

/// Reads what json() wrote back (the history of a bundle, tests). Throws std::runtime_error
/// on malformed JSON.
std::vector<StepRecord> history_from_json(const std::string& json);
std::string history_json(const std::vector<StepRecord>& history);

/// Writes report.json and report.txt into `dir` (created), each atomically: an
/// investigation's report, beside the trainer's bundle.pt or a Python loop's replay.pt.
void write_report(const std::string& dir, const ForensicsReport& report);

}  // namespace depthguard
