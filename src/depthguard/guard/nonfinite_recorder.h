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

/// Where the user's own code called an operator: for a Python loop, the innermost frame of
/// the Python stack outside torch and depthguard (the Python package finds it).
struct CallSite {
  std::string file;
  int64_t line = 0;
  std::string function;  ///< qualified name: "silog_loss", "SiLogLoss.forward", "main.<locals>.<lambda>"
  std::string text() const;  ///< "/repo/bts.py:52 (silog_loss)"
};

/// The call site of the operator being recorded, or none. Called on the recording thread at
/// each operator the code itself calls, only while first_nonfinite_op records.
using CallSiteFinder = std::function<std::optional<CallSite>()>;

/// The scope an operator outside every OpScope gets from its call site: the function's
/// qualified name without "<locals>." and without a trailing ".forward" (a loss module's
/// forward is named by its class: "SiLogLoss"); "loss" for a lambda or module-level code
/// (outside the model in a replay closure, only the loss runs).
std::string scope_of_call(const CallSite& site);

/// An operator that made an input of another, in its module, called at its site.
struct Producer {
  std::string op;      ///< "aten::sigmoid"
  std::string module;  ///< its module path ("" outside every scope and without a site)
  std::optional<CallSite> site;
  std::string text() const;  ///< "aten::sigmoid in head at /repo/net.py:30 (Head.forward)"
};

/// One argument of an operator: a tensor summary, or a scalar written out.
struct ArgSummary {
  std::optional<TensorSummary> tensor;
  std::string scalar;  ///< non-tensor arguments ("0.5", "[1, 1]", "None")
};

struct NonFiniteOp {
  std::string op;         ///< the operator the code called (aten::log) or the backward node (SqrtBackward0)
  std::string chain;      ///< from the outermost record to the operator that produced it: "SqrtBackward0 > aten::div"
  std::string direction;  ///< "forward" or "backward"
  /// OpScope path; outside every scope, the scope of its call site (scope_of_call); "" when
  /// neither is known.
  std::string module;
  std::optional<CallSite> site;  ///< where the code called it (a backward node: its forward operator)
  std::vector<ArgSummary> inputs;  ///< of the innermost operator, as they were before it ran
  TensorSummary output;            ///< its first non-finite output
  /// The forward operators that ran earlier in the same module path, most recent last (at
  /// most 8): tells a log of an underflowed sigmoid from any other log of zero.
  std::vector<std::string> earlier_ops;
  /// Forward: the operators that made its tensor inputs and theirs, nearest first, with their
  /// module path and call site ("aten::mul in head", "aten::sigmoid in head at /repo/net.py:30
  /// (Head.forward)"; at most 6): tells a log of a sigmoid that ran in another module (a head
  /// whose output the loss takes the log of).
  std::vector<Producer> producers;

  /// producers as Producer::text() words, nearest first.
  std::vector<std::string> producer_texts() const;
};

/// One operator the code called in a forward pass (trace_forward_ops).
struct TracedOp {
  std::string op;      ///< "aten::sqrt"
  std::string module;  ///< as NonFiniteOp::module
  std::optional<CallSite> site;
  /// Its arguments, summarised for the operators trace_forward_ops' `summarise` accepts; empty
  /// for the rest.
  std::vector<ArgSummary> inputs;
  /// For each tensor argument, in order, the index in the trace of the operator that made it;
  /// -1 for a tensor made outside the trace (a batch, a parameter).
  std::vector<int64_t> from;
  bool requires_grad = false;  ///< its output: on the path autograd differentiates
  bool selects = false;        ///< boolean indexing or masked_select: its output can be empty
};

/// Runs `fn` on this thread with the callbacks installed and returns the forward operators the
/// code called (not those inside them, nor backward), in the order they ran, each linked to the
/// operators that made its inputs. The arguments of those `summarise` accepts by name are
/// summarised (a few reductions each); the rest cost a map entry. Outputs are not checked for
/// finiteness. An exception from `fn` propagates after the callbacks are removed.
std::vector<TracedOp> trace_forward_ops(const std::function<void()>& fn,
                                        const std::function<bool(const std::string&)>& summarise,
                                        const CallSiteFinder& find_site = nullptr);

/// Runs `fn` on this thread with the callbacks installed and returns the first operator
/// whose floating-point output holds NaN or +-inf; none when every output was finite.
/// Checked are the operators the code calls and those a backward formula calls, not their
/// internals (aten::empty's uninitialised memory, comparisons against an inf constant).
/// Every output is checked, so `fn` runs a few times slower: this is for replays, not for
/// every step. With `find_site`, each operator the code calls gets its call site (and an
/// operator outside every scope the site's scope), asked once per operator. An exception from
/// `fn` propagates after the callbacks are removed.
std::optional<NonFiniteOp> first_nonfinite_op(const std::function<void()>& fn, const CallSiteFinder& find_site = nullptr);

}  // namespace depthguard
