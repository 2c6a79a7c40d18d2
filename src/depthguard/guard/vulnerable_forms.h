#pragma once
// The forms check of `depthguard audit`: the paper's vulnerable forms found in one healthy
// step's forward operators, before they produce a NaN. Each finding names the risk, the
// paper's mechanism, where it is (the module, and the line of a Python loop's code) and the
// fix, from the same table of causes and fixes the forensics use (nonfinite_cause.h).
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "depthguard/guard/nonfinite_cause.h"
#include "depthguard/guard/nonfinite_recorder.h"

namespace depthguard {

struct FormFinding {
  /// v1_sqrt, v2_log_sigmoid, v3_variance, empty_mask, or precision (a float16 range the
  /// step's values approach).
  NonFiniteCause cause = NonFiniteCause::Unknown;
  std::string op;      ///< the operator of the form ("aten::sqrt")
  std::string module;  ///< its module path or the loss's scope
  std::optional<CallSite> site;
  std::string risk;      ///< the paper's mechanism in one sentence
  std::string evidence;  ///< what this step showed ("its argument was 0.0213 here")
  std::string fix;       ///< cause_remedy in the audit's terms

  /// "[v1_sqrt] aten::sqrt in SiLogLoss at bts.py:52 (silog_loss)\n  risk: ...\n  fix: ...\n"
  std::string text() const;
  nlohmann::json json() const;
};

/// Whether the forms check needs `op`'s arguments summarised (trace_forward_ops' `summarise`).
bool summarised_for_forms(const std::string& op);

/// The vulnerable forms among the traced forward operators of one healthy step. Rules, on
/// operators whose output autograd differentiates (a figure computed for logging is no risk):
/// - V1: a square root (aten::sqrt, or a power 0.5) of a value made, within three scalings,
///   selections or additions, by a subtraction or a variance: it can reach 0, where the
///   root's gradient is unbounded;
/// - V2: a log whose input a sigmoid made, directly or through a scaling or a selection;
/// - V3: an unbiased variance or standard deviation (correction 1, torch's default) over a
///   masked selection, a division by N - 1 (a subtraction) inside a "variance" scope, or a
///   one-pass variance mean(x^2) - mean(x)^2 (coefficient 1) that can cancel to a negative;
/// - empty_mask: a mean, variance or standard deviation over a masked selection (boolean
///   indexing, masked_select): an all-invalid depth map makes it empty, 0 / 0;
/// - precision: in float16, a sigmoid whose input reaches -15 (its output underflows below
///   about -17), an exp whose input reaches 10 (overflows above 11.1) or a log whose input
///   reaches 1e-4 of a positive value (subnormal below 6.1e-5).
/// One finding per rule, module and line. The guideline forms (no root, a fused log-sigmoid,
/// a population variance, a mean over a count clamped to 1) give none. N = 0 operators: none.
std::vector<FormFinding> find_vulnerable_forms(const std::vector<TracedOp>& trace, FixTerms terms);

}  // namespace depthguard
