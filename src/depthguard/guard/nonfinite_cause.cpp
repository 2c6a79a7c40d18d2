#include "depthguard/guard/nonfinite_cause.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

namespace depthguard {

const ChoiceTable<NonFiniteCause>& nonfinite_cause_choices() {
  static const ChoiceTable<NonFiniteCause> table{{"v1_sqrt", NonFiniteCause::SqrtAtZero},
                                                 {"v2_log_sigmoid", NonFiniteCause::LogOfSigmoid},
                                                 {"v3_variance", NonFiniteCause::Variance},
                                                 {"division_by_zero", NonFiniteCause::DivisionByZero},
                                                 {"overflow", NonFiniteCause::Overflow},
                                                 {"nonfinite_input", NonFiniteCause::NonFiniteInput},
                                                 {"empty_mask", NonFiniteCause::EmptyMask},
                                                 {"exploding", NonFiniteCause::Exploding},
                                                 {"precision", NonFiniteCause::Precision},
                                                 {"device_kernel", NonFiniteCause::DeviceKernel},
                                                 {"transient", NonFiniteCause::Transient},
                                                 {"injected", NonFiniteCause::Injected},
                                                 {"unknown", NonFiniteCause::Unknown}};
  return table;
}

namespace {

// One row per cause: its title, the fix as the trainer's config keys, and the fix as PyTorch
// code for a loop of the user's own (docs/guard.md "Causes and fixes" prints this table).
struct CauseText {
  std::string title, trainer, pytorch;
};

const CauseText& text_of(NonFiniteCause cause) {
  static const std::map<NonFiniteCause, CauseText> texts{
      {NonFiniteCause::SqrtAtZero,
       {"V1: square root at or near zero",
        "guideline 1: train on D itself, loss.reduction: none (or sqrt_eps for a bounded gradient)",
        "guideline 1: train on D itself, not its root: loss = D where it was torch.sqrt(D) (the same minimum; "
        "log torch.sqrt(D.detach()) for the SILog figure), or torch.sqrt(D + 1e-8) for a bounded gradient; depthguard.nn.silog_loss(log_pred, target) is that SILog on D, from log-depth, in one call"}},
      {NonFiniteCause::LogOfSigmoid,
       {"V2: log of an underflowed sigmoid",
        "guideline 2: compute log-depth with a fused log-sigmoid, model.head: fused (in PyTorch code: "
        "log(max_depth) + torch.nn.functional.logsigmoid(x) for log(sigmoid(x) * max_depth))",
        "guideline 2: compute log-depth with the fused log-sigmoid: math.log(max_depth) + "
        "torch.nn.functional.logsigmoid(x) in place of torch.log(torch.sigmoid(x) * max_depth), and the depth as its exp() where a depth is needed; or depthguard.nn.log_depth_from_logits(x, max_depth)"}},
      {NonFiniteCause::Variance,
       {"V3: variance with N - 1 = 0 or a negative one-pass variance",
        "guideline 3: two-pass population variance, loss.variance: population",
        "guideline 3: a two-pass population variance: torch.var(g, correction=0) (unbiased=False before torch 2.0) "
        "in place of torch.var(g), or (g - g.mean()).square().mean() in place of g.square().mean() - g.mean().square(); over a mask, depthguard.nn.masked_variance(x, mask)"}},
      {NonFiniteCause::DivisionByZero,
       {"division by zero",
        "a denominator reached 0: look at the operator's inputs above; few valid pixels per crop "
        "(data.augment crop size, ground-truth sparsity) are the usual source",
        "a denominator reached 0: look at the operator's inputs above; guard it (x / d.clamp_min(1e-6), or skip the "
        "batch where d == 0); few valid pixels per crop are the usual source"}},
      {NonFiniteCause::Overflow,
       {"exp/pow or arithmetic overflow",
        "lower optimizer.lr or set optimizer.grad_clip; guard.policy auto (the default) and rollback also lower the learning rate",
        "lower the optimizer's lr or clip the gradients (sentinel.check_step(loss, max_norm=1.0), or "
        "torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)); the Sentinel's default policy, auto, rolls "
        "back and lowers the learning rate"}},
      {NonFiniteCause::NonFiniteInput,
       {"non-finite input data", "fix or remove the named samples (their image or depth files hold NaN or inf)",
        "fix or remove the named samples (their image or depth hold NaN or inf): test torch.isfinite(x).all() where the "
        "Dataset reads a sample, or pass inputs=(image, depth) to sentinel.begin_step"}},
      {NonFiniteCause::EmptyMask,
       {"a mean or variance over no values (a depth map with no valid pixel)",
        "leave samples without a valid depth pixel out of the batch (depthguard's loader refuses them), or divide "
        "by the valid count only where it is positive",
        "skip a sample whose mask is empty (if not mask.any(): continue, or leave it out in the Dataset), or divide by "
        "the count only where it is positive: d.square().sum() / mask.sum().clamp_min(1) in place of d.square().mean(), as depthguard.nn.silog_loss and masked_variance do"}},
      {NonFiniteCause::Exploding,
       {"exploding weights or learning rate",
        "lower optimizer.lr, add warm-up (schedule.warmup_steps) or set optimizer.grad_clip; guard.policy auto (the "
        "default) and rollback also lower the learning rate",
        "lower the optimizer's lr, add warm-up (torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.01, "
        "total_iters=500)) or clip the gradients (sentinel.check_step(loss, max_norm=1.0)); "
        "the Sentinel's default policy, auto, rolls back and lowers the learning rate"}},
      {NonFiniteCause::Precision,
       {"reduced precision: finite in float32",
        "the guideline forms stay finite in float16 (model.head: fused, loss.reduction: none, loss.variance: "
        "population); else train.precision: bf16 (float32's exponent range) or fp32",
        "the guideline forms stay finite in float16 (the fused log-sigmoid, the loss on D, the population variance); "
        "else torch.autocast(device_type, dtype=torch.bfloat16) (float32's exponent range), or run this operator in "
        "float32 (x.float() before it)"}},
      {NonFiniteCause::DeviceKernel,
       {"a device kernel: finite on the CPU in the same precision",
        "report the operator and its inputs above to the kernel's maintainers; meanwhile train.precision: fp32 or "
        "another implementation of the operator; depthguard audit (depthguard.audit in Python) checks every kernel of "
        "a step against float64, finite or not",
        "report the operator and its inputs above to the kernel's maintainers; meanwhile run it in float32 or with "
        "another implementation; depthguard.audit(model, closure) checks every kernel of a step against float64, "
        "finite or not"}},
      {NonFiniteCause::Transient,
       {"transient: not reproduced when the step ran again",
        "a hardware fault (silent data corruption) or a nondeterministic kernel; guard.on_transient: retry runs the "
        "step again; a device with repeated transients should be tested and taken out of service",
        "a hardware fault (silent data corruption) or a nondeterministic kernel; Sentinel(on_transient=\"retry\") "
        "(the default) runs the step again; a device with repeated transients should be tested and taken out of "
        "service"}},
      {NonFiniteCause::Injected,
       {"injected on purpose (guard.inject)", "nothing to fix: fault injection is on (guard.inject: none turns it off)",
        "nothing to fix: fault injection is on"}},
      {NonFiniteCause::Unknown,
       {"unknown", "inspect the operator and inputs above; depthguard diagnose replays the bundle",
        "inspect the operator and inputs above at the line named; python -m depthguard diagnose DIR replays the step"}},
  };
  return texts.at(cause);
}

bool has(const std::string& haystack, const char* needle) { return haystack.find(needle) != std::string::npos; }

// The operator's name without the namespace and in-place/backward suffixes: "aten::log_" -> "log".
std::string base_name(const std::string& op) {
  auto name = op.substr(op.rfind(':') == std::string::npos ? 0 : op.rfind(':') + 1);
  if (has(name, "Backward")) name = name.substr(0, name.find("Backward"));
  while (!name.empty() && (name.back() == '_' || std::isdigit(static_cast<unsigned char>(name.back())))) name.pop_back();
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  return name;
}

int64_t tensor_count(const NonFiniteOp& op, int64_t TensorSummary::*field) {
  int64_t n = 0;
  for (const auto& a : op.inputs) n += a.tensor ? (*a.tensor).*field : 0;
  return n;
}

// Division's denominator is its second argument (div, DivBackward's inner ops vary, so any).
bool zero_denominator(const NonFiniteOp& op) {
  if (op.inputs.size() >= 2 && op.inputs[1].tensor) return op.inputs[1].tensor->zeros > 0;
  return tensor_count(op, &TensorSummary::zeros) > 0;
}

double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

}  // namespace

const std::string& cause_title(NonFiniteCause cause) { return text_of(cause).title; }

const Producer* sigmoid_producer(const NonFiniteOp& op) {
  const auto it = std::find_if(op.producers.begin(), op.producers.end(),
                               [](const Producer& p) { return p.op.rfind("aten::sigmoid", 0) == 0; });
  return it == op.producers.end() ? nullptr : &*it;
}
const std::string& cause_remedy(NonFiniteCause cause, FixTerms terms) {
  return terms == FixTerms::Trainer ? text_of(cause).trainer : text_of(cause).pytorch;
}

NonFiniteCause cause_of_op(const NonFiniteOp& op, std::string& reason) {
  const auto name = base_name(op.op);
  const bool backward = op.direction == "backward";
  const int64_t zeros = tensor_count(op, &TensorSummary::zeros);
  const int64_t negatives = tensor_count(op, &TensorSummary::negatives);
  const bool in_variance = has(op.module, "variance");
  const bool reduces = name == "mean" || name == "var" || name == "std" || name == "var_mean" || name == "std_mean";
  if (reduces && !backward && tensor_count(op, &TensorSummary::numel) == 0) {
    reason = fmt::format("{} in '{}' of an empty tensor: no valid value to average", op.op, op.module);
    return NonFiniteCause::EmptyMask;
  }
  if (name == "sqrt" && (backward || zeros > 0) && negatives == 0) {
    reason = fmt::format("{} ({}) in '{}': the gradient 1/(2 sqrt(D)) is infinite where D = 0", op.op, op.direction,
                         op.module);
    return NonFiniteCause::SqrtAtZero;
  }
  if (name == "sqrt" && negatives > 0) {
    reason = fmt::format("{} of {} negative value(s) in '{}'", op.op, negatives, op.module);
    if (has(op.module, "loss")) {
      reason += ": the variance under the root went negative (one-pass E[d^2] - E[d]^2 cancels in float32)";
      return NonFiniteCause::Variance;
    }
    return NonFiniteCause::Unknown;
  }
  if (name == "log" && zeros > 0) {
    // Forward: a sigmoid made the log's input (through a product with max_depth, a mask, a
    // cast), in this module or another (a head's output whose log the loss takes). Backward:
    // a sigmoid ran earlier in the module of the log's forward operator.
    const auto from_sigmoid = sigmoid_producer(op);
    const bool after_sigmoid =
        backward ? std::find(op.earlier_ops.begin(), op.earlier_ops.end(), "aten::sigmoid") != op.earlier_ops.end()
                 : from_sigmoid != nullptr;
    reason = fmt::format("{} ({}) of {} zero(s) in '{}'", op.op, op.direction, zeros, op.module);
    if (after_sigmoid) {
      reason += backward ? ", after a sigmoid there" : ", of what " + from_sigmoid->text() + " made";
      // Where the sigmoid underflows depends on the dtype it ran in (the log's input's).
      const bool half = !op.inputs.empty() && op.inputs[0].tensor && op.inputs[0].tensor->dtype == "Half";
      reason += half ? ": sigmoid(x) underflows to 0 in float16 for x below about -17"
                     : ": sigmoid(x) underflows to 0 in float32 for x below about -88";
      return NonFiniteCause::LogOfSigmoid;
    }
    return NonFiniteCause::Unknown;
  }
  if (name == "var" || name == "std" || name == "var_mean" || name == "std_mean" ||
      (name == "div" && in_variance && zero_denominator(op))) {
    reason = fmt::format("{} ({}) in '{}': the unbiased variance divides by N - 1 = 0 for a single valid value",
                         op.op, op.direction, op.module);
    return NonFiniteCause::Variance;
  }
  if (name == "div" && zero_denominator(op)) {
    reason = fmt::format("{} ({}) in '{}' by zero", op.op, op.direction, op.module);
    return NonFiniteCause::DivisionByZero;
  }
  const auto nonfinite_inputs = tensor_count(op, &TensorSummary::nan) + tensor_count(op, &TensorSummary::posinf) +
                                tensor_count(op, &TensorSummary::neginf);
  if (nonfinite_inputs == 0 && op.output.nan == 0 && op.output.posinf + op.output.neginf > 0) {
    reason = fmt::format("{} ({}) in '{}' overflowed float range from finite inputs", op.op, op.direction, op.module);
    return NonFiniteCause::Overflow;
  }
  reason = fmt::format("{} ({}) in '{}' produced {} NaN, {} +inf, {} -inf", op.op, op.direction, op.module,
                       op.output.nan, op.output.posinf, op.output.neginf);
  return NonFiniteCause::Unknown;
}

std::optional<std::string> growth_before_event(const std::vector<StepRecord>& history) {
  if (history.size() < 5) return std::nullopt;
  std::vector<double> grads;
  for (const auto& r : history) grads.push_back(r.grad_norm);
  const double typical = median(grads);
  const auto& first = history.front();
  const auto& last = history.back();
  if (typical > 0 && last.grad_norm >= 10 * typical) {
    return fmt::format("the gradient norm grew to {:.3g} at step {}, {:.0f}x the median {:.3g} of steps {}-{}",
                       last.grad_norm, last.step, last.grad_norm / typical, typical, first.step, last.step);
  }
  if (first.weight_norm > 0 && last.weight_norm >= 2 * first.weight_norm) {
    return fmt::format("the weight norm grew {:.1f}x from step {} to step {} ({:.3g} -> {:.3g})",
                       last.weight_norm / first.weight_norm, first.step, last.step, first.weight_norm,
                       last.weight_norm);
  }
  return std::nullopt;
}

}  // namespace depthguard
