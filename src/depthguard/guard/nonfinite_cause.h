#pragma once
// Why a value stopped being finite: the paper's three vulnerabilities and the other usual
// causes, told apart from the first non-finite operator and the steps before it.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "depthguard/core/choice.h"
#include "depthguard/guard/nonfinite_recorder.h"

namespace depthguard {

enum class NonFiniteCause {
  SqrtAtZero,      ///< V1: the square root's gradient 1 / (2 sqrt(D)) at D = 0 (or near it)
  LogOfSigmoid,    ///< V2: log of a sigmoid that underflowed to 0
  Variance,        ///< V3: variance with N - 1 = 0, or a negative one-pass variance under a root
  DivisionByZero,  ///< another denominator reached zero
  Overflow,        ///< exp, pow or arithmetic overflowed float range from finite inputs
  NonFiniteInput,  ///< the batch itself (image or depth) held NaN or inf
  EmptyMask,       ///< a mean or variance over no values: a depth map with no valid pixel
  Exploding,       ///< weights or gradients grew fast before the event (learning rate too high)
  Precision,       ///< non-finite in the run's reduced precision (fp16, bf16) only: finite in float32
  DeviceKernel,    ///< a kernel computes wrong: non-finite on the run's device only (finite on the CPU in the
                   ///< same precision), or off float64 beyond its bound (the kernel check, kernel_audit.h)
  Transient,       ///< not reproduced: the step is finite when replayed on the run's own device
  Injected,        ///< guard.inject put the value there on purpose
  Unknown,
};
const ChoiceTable<NonFiniteCause>& nonfinite_cause_choices();

/// Whose terms a fix is told in: depthguard's trainer (its configuration keys) or a training
/// loop of the user's own (the PyTorch code that replaces the vulnerable form).
enum class FixTerms { Trainer, PyTorch };

/// One-line name of a cause, e.g. "V1: square root at or near zero".
const std::string& cause_title(NonFiniteCause cause);
/// The guideline that prevents it, from one table of causes and fixes in two renderings:
/// the trainer's config switch, or the PyTorch code for a loop's own (no depthguard key).
const std::string& cause_remedy(NonFiniteCause cause, FixTerms terms = FixTerms::Trainer);

/// The figures of one good step, kept so a report can tell whether things were growing.
struct StepRecord {
  int64_t step = 0;
  double loss = 0;
  double grad_norm = 0;    ///< global L2 norm of the gradients before clipping
  double weight_norm = 0;  ///< global L2 norm of the parameters after the update
  double lr = 0;
};

/// The sigmoid among a forward operator's producers (V2's), or none.
const Producer* sigmoid_producer(const NonFiniteOp& op);

/// The cause an operator points to, with the reason in words. Rules (first match):
/// a square root's backward, or a forward root of zero -> V1; a forward root of a negative
/// inside a loss -> V3; a log of zero after a sigmoid in the same module -> V2 (any other
/// log of zero -> unknown, with the reason saying so); a division
/// by zero inside a "variance" scope, or torch's var/std -> V3; any other division by zero
/// -> division by zero; +-inf from finite inputs (exp, pow, sums, products) -> overflow;
/// anything else -> unknown.
NonFiniteCause cause_of_op(const NonFiniteOp& op, std::string& reason);

/// Words for fast growth before the event, none when the history is flat: the last
/// gradient norm is 10x the median of the window or more, or the weight norm doubled over
/// it. Needs at least 5 records; fewer (N = 0 or 1 included) give none.
std::optional<std::string> growth_before_event(const std::vector<StepRecord>& history);

}  // namespace depthguard
