#pragma once
// Finds the first LibTorch operation whose output is not finite, forward or backward, while
// a piece of code runs. Built on LibTorch's operator callbacks (at::RecordFunction): every
// dispatched operator reports its inputs and outputs, and autograd's backward nodes
// (SqrtBackward0, DivBackward0, ...) report themselves around the operators they call.
// OpScope regions give the module path; a backward node inherits the path of the forward
// operator that created it (matched by autograd sequence number).
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "depthguard/guard/tensor_summary.h"

namespace depthguard {

/// One argument of an operator: a tensor summary, or a scalar written out.
struct ArgSummary {
  std::optional<TensorSummary> tensor;
  std::string scalar;  ///< non-tensor arguments ("0.5", "[1, 1]", "None")
};

struct NonFiniteOp {
  std::string op;         ///< the operator the code called (aten::log) or the backward node (SqrtBackward0)
  std::string chain;      ///< from the outermost record to the operator that produced it: "SqrtBackward0 > aten::div"
  std::string direction;  ///< "forward" or "backward"
  std::string module;     ///< OpScope path, "" outside every scope
  std::vector<ArgSummary> inputs;  ///< of the innermost operator, as they were before it ran
  TensorSummary output;            ///< its first non-finite output
  /// The forward operators that ran earlier in the same module path, most recent last (at
  /// most 8): tells a log of an underflowed sigmoid from any other log of zero.
  std::vector<std::string> earlier_ops;
  /// Forward: the operators that made its tensor inputs and theirs, nearest first, with their
  /// module path ("aten::mul in head", "aten::sigmoid in head"; at most 6): tells a log of a
  /// sigmoid that ran in another module (a head whose output the loss takes the log of).
  std::vector<std::string> producers;
};

/// Runs `fn` on this thread with the callbacks installed and returns the first operator
/// whose floating-point output holds NaN or +-inf; none when every output was finite.
/// Checked are the operators the code calls and those a backward formula calls, not their
/// internals (aten::empty's uninitialised memory, comparisons against an inf constant).
/// Every output is checked, so `fn` runs a few times slower: this is for replays, not for
/// every step. An exception from `fn` propagates after the callbacks are removed.
std::optional<NonFiniteOp> first_nonfinite_op(const std::function<void()>& fn);

}  // namespace depthguard
