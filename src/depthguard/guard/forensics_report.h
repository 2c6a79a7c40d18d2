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

namespace depthguard {

struct ForensicsReport {
  int64_t step = 0;
  std::string stage;                 ///< where the sentinel saw it: input, loss, gradient, weight
  std::vector<std::string> samples;  ///< ids of the batch's samples
  std::string injected;              ///< "site:value" when guard.inject fired at this step, else ""
  std::optional<NonFiniteOp> op;     ///< the first non-finite operator of the replay
  /// The autocast dtype ("float16", "bfloat16") of the replay that found `op`, when the
  /// step was replayed in the run's precision and again in float32 and only the first was
  /// non-finite; "" when float32 reproduces it (or the run is float32).
  std::string precision_only;
  std::vector<std::string> findings; ///< non-finite tensors named: batch samples, parameters
  std::vector<StepRecord> history;   ///< the good steps before this one, oldest first
  NonFiniteCause cause = NonFiniteCause::Unknown;
  std::string reason;  ///< the evidence for `cause`, in words

  /// Sets cause and reason from the evidence above: injection first, then non-finite input,
  /// then an operator non-finite in reduced precision only (precision, the reason naming
  /// what cause_of_op sees in it), then the operator (cause_of_op), where an overflow or unknown operator after fast growth
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

}  // namespace depthguard
