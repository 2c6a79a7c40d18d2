#include "depthguard/guard/vulnerable_forms.h"

#include <algorithm>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace depthguard {

namespace {

using Trace = std::vector<TracedOp>;

bool named(const TracedOp& op, std::initializer_list<const char*> names) {
  return std::any_of(names.begin(), names.end(), [&](const char* n) { return op.op == n; });
}

// Operators a form's value passes through unchanged in kind: scalings, selections, slices,
// views and resampling (a head's output resized to the target's size before the loss).
bool passes_through(const TracedOp& op) {
  return named(op, {"aten::mul", "aten::div", "aten::index", "aten::masked_select", "aten::clamp", "aten::clamp_min",
                    "aten::clone", "aten::contiguous", "aten::view", "aten::reshape", "aten::squeeze",
                    "aten::unsqueeze", "aten::flatten", "aten::to", "aten::detach", "aten::add", "aten::where",
                    "aten::slice", "aten::select", "aten::narrow", "aten::permute", "aten::transpose",
                    "aten::expand", "aten::index_select", "aten::upsample_bilinear2d", "aten::upsample_nearest2d",
                    "aten::upsample_bicubic2d", "aten::interpolate"});
}

// The traced operator within `hops` producers of `at`'s inputs that `is` accepts, following
// only operators that pass a value through (and, with `through_all`, every operator); -1 if none.
template <class Pred>
int64_t upstream(const Trace& trace, int64_t at, const Pred& is, int hops, bool through_all = false) {
  std::vector<int64_t> frontier{at};
  for (int hop = 0; hop < hops && !frontier.empty(); ++hop) {
    std::vector<int64_t> next;
    for (const auto i : frontier) {
      for (const auto from : trace[static_cast<size_t>(i)].from) {
        if (from < 0) continue;
        const auto& p = trace[static_cast<size_t>(from)];
        if (is(p)) return from;
        if (through_all || passes_through(p)) next.push_back(from);
      }
    }
    frontier = std::move(next);
  }
  return -1;
}

bool is_selection(const TracedOp& op) { return op.selects; }

// A division inside a variance's scope (a hand-written or the trainer's masked variance).
bool variance_division(const TracedOp& op) {
  return op.op == "aten::div" && op.module.find("variance") != std::string::npos;
}

// The first tensor argument's summary, if the operator's arguments were summarised.
const TensorSummary* first_tensor(const TracedOp& op) {
  for (const auto& a : op.inputs) {
    if (a.tensor) return &*a.tensor;
  }
  return nullptr;
}

// The scalar arguments, written out ("0.5", "None", "True").
std::vector<std::string> scalars(const TracedOp& op) {
  std::vector<std::string> out;
  for (const auto& a : op.inputs) {
    if (!a.tensor) out.push_back(a.scalar);
  }
  return out;
}

bool is_root(const TracedOp& op) {
  if (op.op == "aten::sqrt") return true;
  if (op.op != "aten::pow") return false;
  const auto s = scalars(op);
  return std::any_of(s.begin(), s.end(), [](const std::string& v) { return v == "0.5" || v == "0.50000"; });
}

// torch.var / torch.std with a correction of 1 or more: var(self, unbiased), or
// var.dim / var.correction(self, dim, unbiased or correction, keepdim), where None is 1.
bool unbiased(const TracedOp& op) {
  const auto& args = op.inputs;
  const size_t at = args.size() == 2 ? 1 : 2;
  if (args.size() < 2 || args[at].tensor) return true;
  const auto& v = args[at].scalar;
  return !(v == "0" || v == "0." || v == "False" || v == "0.0");
}

std::string value_words(const TensorSummary* t) {
  if (t == nullptr || !t->min) return "";
  return t->numel == 1 ? fmt::format("{:.4g}", *t->min) : fmt::format("from {:.4g} to {:.4g}", *t->min, *t->max);
}

// mean(x^2) - mean(x)^2 of the same x, coefficient 1: the one-pass variance.
bool one_pass_variance(const Trace& trace, const TracedOp& sub) {
  if (sub.op != "aten::sub" || sub.from.size() < 2 || sub.from[0] < 0 || sub.from[1] < 0) return false;
  const auto arg = [&](int64_t i, size_t k) -> const TracedOp* {
    const auto& op = trace[static_cast<size_t>(i)];
    return k < op.from.size() && op.from[k] >= 0 ? &trace[static_cast<size_t>(op.from[k])] : nullptr;
  };
  const auto& left = trace[static_cast<size_t>(sub.from[0])];
  const auto& right = trace[static_cast<size_t>(sub.from[1])];
  if (left.op != "aten::mean" || right.op != "aten::pow") return false;
  const auto* square = arg(sub.from[0], 0);
  const auto* mean = arg(sub.from[1], 0);
  return square && mean && square->op == "aten::pow" && mean->op == "aten::mean" && !square->from.empty() &&
         !mean->from.empty() && square->from[0] >= 0 && square->from[0] == mean->from[0];
}

struct Rules {
  const Trace& trace;
  FixTerms terms;
  std::vector<FormFinding> found;
  std::set<std::tuple<NonFiniteCause, std::string, int64_t>> seen;

  void add(NonFiniteCause cause, const TracedOp& op, std::string risk, std::string evidence) {
    if (!seen.insert({cause, op.module, op.site ? op.site->line : -1}).second) return;
    found.push_back({cause, op.op, op.module, op.site, std::move(risk), std::move(evidence), cause_remedy(cause, terms)});
  }

  void check(int64_t i) {
    const auto& op = trace[static_cast<size_t>(i)];
    if (!op.requires_grad) return;
    precision(op);
    if (is_root(op)) root(i, op);
    if (op.op == "aten::log") log(i, op);
    if (named(op, {"aten::var", "aten::std", "aten::var_mean", "aten::std_mean"}) && unbiased(op)) {
      if (upstream(trace, i, is_selection, 4, true) >= 0) {
        const auto* t = first_tensor(op);
        add(NonFiniteCause::Variance, op,
            "the unbiased variance divides by N - 1, which is 0 when one valid pixel is left (the paper's V3)",
            t ? fmt::format("over {} masked value(s) at this step, correction 1 (torch's default)", t->numel) : "");
      }
    }
    if (variance_division(op) && op.from.size() > 1 && op.from[1] >= 0 &&
        (named(trace[static_cast<size_t>(op.from[1])], {"aten::sub", "aten::rsub"}) ||
         upstream(trace, op.from[1], [](const TracedOp& p) { return named(p, {"aten::sub", "aten::rsub"}); }, 1) >= 0)) {
      add(NonFiniteCause::Variance, op,
          "the unbiased variance divides by N - 1, which is 0 when one valid pixel is left (the paper's V3)",
          "a division by N - 1 in the variance");
    }
    if (one_pass_variance(trace, op)) {
      add(NonFiniteCause::Variance, op,
          "mean(x^2) - mean(x)^2 cancels to a small negative in floating point when the values are nearly equal "
          "(the paper's V3)",
          "the one-pass variance, coefficient 1");
    }
    if (named(op, {"aten::mean", "aten::var", "aten::std", "aten::var_mean", "aten::std_mean"}) &&
        upstream(trace, i, is_selection, 4, true) >= 0) {
      add(NonFiniteCause::EmptyMask, op, "a mean over no values is 0 / 0: an all-invalid depth map gives NaN",
          "over a boolean selection of the valid pixels");
    }
  }

  void root(int64_t i, const TracedOp& op) {
    const auto* t = first_tensor(op);
    if (t == nullptr) return;
    const auto maker = upstream(trace, i, [](const TracedOp& p) {
      return named(p, {"aten::sub", "aten::rsub", "aten::var", "aten::std", "aten::var_mean"}) || variance_division(p);
    }, 3);
    if (maker < 0) return;
    add(NonFiniteCause::SqrtAtZero, op,
        "the gradient of sqrt(D) is 1 / (2 sqrt(D)), unbounded as D reaches 0, which one valid pixel or a constant "
        "log ratio makes it (the paper's V1)",
        fmt::format("D = {} at this step, made by {}", value_words(t), trace[static_cast<size_t>(maker)].op));
  }

  void log(int64_t i, const TracedOp& op) {
    const auto s = upstream(trace, i, [](const TracedOp& p) { return p.op == "aten::sigmoid"; }, 5);
    if (s < 0) return;
    const auto& sigmoid = trace[static_cast<size_t>(s)];
    const auto* logits = first_tensor(sigmoid);
    add(NonFiniteCause::LogOfSigmoid, op,
        "sigmoid(x) underflows to 0 below about -88 in float32 (-17 in float16), and log(0) = -inf (the paper's V2)",
        fmt::format("the log of the sigmoid{}{}", sigmoid.site ? " at " + sigmoid.site->text() : " in " + sigmoid.module,
                    logits && logits->min ? fmt::format(", whose input reached {:.4g} at this step", *logits->min) : ""));
  }

  void precision(const TracedOp& op) {
    const auto* t = first_tensor(op);
    if (t == nullptr || t->dtype != "Half" || !t->min) return;
    if (op.op == "aten::sigmoid" && *t->min < -15) {
      add(NonFiniteCause::Precision, op, "float16's sigmoid underflows to 0 below about -17",
          fmt::format("its input reached {:.4g} in float16 at this step", *t->min));
    } else if (op.op == "aten::exp" && *t->max > 10) {
      add(NonFiniteCause::Precision, op, "float16's exp overflows to inf above about 11.1",
          fmt::format("its input reached {:.4g} in float16 at this step", *t->max));
    } else if (op.op == "aten::log" && *t->min < 1e-4) {
      add(NonFiniteCause::Precision, op, "float16 holds nothing below 6e-8 and is subnormal below 6.1e-5: log goes to -inf",
          fmt::format("its input reached {:.4g} in float16 at this step", *t->min));
    }
  }
};

}  // namespace

bool summarised_for_forms(const std::string& op) {
  static const std::set<std::string> ops{"aten::sqrt", "aten::pow",  "aten::log",      "aten::sigmoid", "aten::exp",
                                         "aten::var",  "aten::std",  "aten::var_mean", "aten::std_mean"};
  return ops.count(op) > 0;
}

std::vector<FormFinding> find_vulnerable_forms(const std::vector<TracedOp>& trace, FixTerms terms) {
  Rules rules{trace, terms, {}, {}};
  for (size_t i = 0; i < trace.size(); ++i) rules.check(static_cast<int64_t>(i));
  return rules.found;
}

std::string FormFinding::text() const {
  auto where = module.empty() ? std::string() : " in " + module;
  if (site) where += " at " + site->text();
  return fmt::format("[{}] {}{}\n  risk: {}\n{}  fix: {}\n", choice_name(nonfinite_cause_choices(), cause), op, where,
                     risk, evidence.empty() ? "" : "  seen: " + evidence + "\n", fix);
}

nlohmann::json FormFinding::json() const {
  nlohmann::json j{{"kind", choice_name(nonfinite_cause_choices(), cause)},
                   {"operator", op},
                   {"where", module},
                   {"risk", risk},
                   {"evidence", evidence},
                   {"fix", fix}};
  if (site) j["site"] = {{"file", site->file}, {"line", site->line}, {"function", site->function}};
  return j;
}

}  // namespace depthguard
