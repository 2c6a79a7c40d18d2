#include "depthguard/losses/gradient_matching_loss.h"

#include <torch/torch.h>

#include "depthguard/numerics/zero_invalid.h"

namespace depthguard {

namespace {

using torch::indexing::None;
using torch::indexing::Slice;

// Sum of |R[i+1] - R[i]| along `dim` over pairs whose two pixels are valid.
torch::Tensor masked_difference_sum(const torch::Tensor& residual, const torch::Tensor& mask,
                                    int64_t dim) {
  const int64_t n = residual.size(dim);
  if (n < 2) return residual.narrow(dim, 0, 0).sum();  // no pair: 0, still in the graph
  const auto diff = (residual.narrow(dim, 1, n - 1) - residual.narrow(dim, 0, n - 1)).abs();
  const auto pairs = mask.narrow(dim, 1, n - 1) & mask.narrow(dim, 0, n - 1);
  return zero_invalid(diff, pairs).sum();
}

torch::Tensor every_nth(const torch::Tensor& t, int64_t step) {
  return t.index({"...", Slice(None, None, step), Slice(None, None, step)});
}

}  // namespace

torch::Tensor gradient_matching_sum(const torch::Tensor& pred, const torch::Tensor& target,
                                    const torch::Tensor& mask) {
  const auto residual = zero_invalid(pred, mask) - zero_invalid(target, mask);
  return masked_difference_sum(residual, mask, -1) + masked_difference_sum(residual, mask, -2);
}

LossOutput gradient_matching_loss(const torch::Tensor& pred, const torch::Tensor& target,
                                  const torch::Tensor& mask,
                                  const GradientMatchingLossOptions& options) {
  check_loss_inputs("gradient_matching_loss", pred, target, mask);
  TORCH_CHECK(pred.dim() >= 3, "gradient_matching_loss expects [B, ..., H, W]");
  TORCH_CHECK(options.scales() >= 1, "gradient_matching_loss needs scales >= 1");
  auto loss = torch::zeros({}, pred.options());
  for (int64_t k = 0; k < options.scales(); ++k) {
    const int64_t step = int64_t{1} << k;
    const auto m = every_nth(mask, step);
    const auto valid = m.sum().to(pred.scalar_type());
    const auto term = gradient_matching_sum(every_nth(pred, step), every_nth(target, step), m);
    loss = loss + term / valid.clamp_min(1);
  }
  return make_loss_output(loss, loss, mask);
}

}  // namespace depthguard
