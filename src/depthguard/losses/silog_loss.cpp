#include "depthguard/losses/silog_loss.h"

#include <torch/torch.h>

#include "depthguard/guard/op_scope.h"
#include "depthguard/numerics/masked_moments.h"

#include "depthguard/numerics/zero_invalid.h"

namespace depthguard {

const ChoiceTable<SilogReduction>& silog_reduction_choices() {
  static const ChoiceTable<SilogReduction> table{{"sqrt", SilogReduction::Sqrt},
                                                 {"sqrt_eps", SilogReduction::SqrtEps},
                                                 {"none", SilogReduction::None}};
  return table;
}

const ChoiceTable<LossScope>& loss_scope_choices() {
  static const ChoiceTable<LossScope> table{{"batch", LossScope::Batch},
                                            {"image", LossScope::Image}};
  return table;
}

namespace {

torch::Tensor reduce(const torch::Tensor& D, const SilogLossOptions& options) {
  switch (options.reduction()) {
    case SilogReduction::Sqrt:
      return options.alpha() * torch::sqrt(D);
    case SilogReduction::SqrtEps:
      return options.alpha() * torch::sqrt(D + options.eps());
    case SilogReduction::None:
      return options.alpha() * D;
  }
  throw std::logic_error("unhandled SilogReduction");
}

// Mean of `per_group` over the groups that have a valid pixel; 0 when none has.
torch::Tensor mean_over(const torch::Tensor& per_group, const torch::Tensor& nonempty) {
  return zero_invalid(per_group, nonempty).sum() / nonempty.sum().clamp_min(1).to(per_group.scalar_type());
}

}  // namespace

LossOutput silog_loss(const torch::Tensor& log_pred, const torch::Tensor& gt,
                      const torch::Tensor& mask, const SilogLossOptions& options) {
  check_loss_inputs("silog_loss", log_pred, gt, mask);
  OpScope scope("silog");
  const int64_t groups = options.scope() == LossScope::Image ? log_pred.size(0) : 1;
  // log(1) at invalid pixels: gt there may be 0, negative or NaN.
  const auto log_gt = torch::log(torch::where(mask, gt, torch::ones_like(gt)));
  const auto d = as_rows(log_pred - log_gt, groups);
  const auto stats = masked_moments(d, as_rows(mask, groups), options.variance());
  const auto D = stats.variance + (1.0 - options.lambda()) * stats.mean * stats.mean;

  const auto nonempty = stats.count > 0;
  // Empty groups enter the reduction as D = 1, not 0: sqrt'(0) = inf times where()'s zero
  // gradient is a NaN inside the backward graph. Masking would drop it before it reaches
  // log_pred, but anomaly detection and the forensics replay would report it.
  const auto D_safe = torch::where(nonempty, D, torch::ones_like(D));
  const auto loss = mean_over(reduce(D_safe, options), nonempty);
  const auto report = mean_over(options.alpha() * torch::sqrt(D.detach().clamp_min(0)), nonempty);
  return make_loss_output(loss, report, mask);
}

}  // namespace depthguard
