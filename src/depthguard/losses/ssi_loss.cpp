#include "depthguard/losses/ssi_loss.h"

#include <torch/torch.h>

#include "depthguard/numerics/zero_invalid.h"

namespace depthguard {

namespace {

// Broadcasts a per-image [B] tensor against [B, ...].
torch::Tensor per_image(const torch::Tensor& v, const torch::Tensor& like) {
  std::vector<int64_t> shape(like.dim(), 1);
  shape[0] = v.size(0);
  return v.reshape(shape);
}

}  // namespace

ScaleShift align_scale_shift(const torch::Tensor& pred, const torch::Tensor& target,
                             const torch::Tensor& mask, const SsiLossOptions& options) {
  check_loss_inputs("align_scale_shift", pred, target, mask);
  const int64_t batch = pred.size(0);
  const auto m = as_rows(mask, batch);
  const auto p = zero_invalid(as_rows(pred, batch), m);
  const auto g = zero_invalid(as_rows(target, batch), m);
  const auto count = m.sum(1).to(pred.scalar_type());
  const auto divisor = count.clamp_min(1);
  const auto mean_p = p.sum(1) / divisor;
  const auto mean_g = g.sum(1) / divisor;
  const auto pc = zero_invalid(p - mean_p.unsqueeze(1), m);
  const auto gc = zero_invalid(g - mean_g.unsqueeze(1), m);
  const auto var_p = (pc * pc).sum(1);
  const auto cov = (pc * gc).sum(1);

  const auto resolution = options.constant_tolerance() * mean_p.detach().abs() + 1e-12;
  const auto constant = var_p.detach() <= count * resolution * resolution;
  // The division must not see var_p = 0 even on the discarded side of where().
  const auto safe_var = torch::where(constant, torch::ones_like(var_p), var_p);
  const auto scale = torch::where(constant, torch::zeros_like(cov), cov / safe_var);
  return {scale, mean_g - scale * mean_p};
}

LossOutput ssi_loss(const torch::Tensor& pred, const torch::Tensor& target,
                    const torch::Tensor& mask, const SsiLossOptions& options) {
  check_loss_inputs("ssi_loss", pred, target, mask);
  const auto fit = align_scale_shift(pred, target, mask, options);
  const auto aligned =
      per_image(fit.scale, pred) * zero_invalid(pred, mask) + per_image(fit.shift, pred);
  const auto target_valid = zero_invalid(target, mask);
  const auto residual = zero_invalid(aligned - target_valid, mask);
  const auto valid = mask.sum().to(pred.scalar_type()).clamp_min(1);
  auto loss = (residual * residual).sum() / (2 * valid);
  if (options.gradient_weight() != 0) {
    const auto gm = gradient_matching_loss(aligned, target_valid, mask,
                                           GradientMatchingLossOptions().scales(options.scales()));
    loss = loss + options.gradient_weight() * gm.loss;
  }
  return make_loss_output(loss, loss, mask);
}

}  // namespace depthguard
