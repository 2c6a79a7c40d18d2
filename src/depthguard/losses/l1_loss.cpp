#include "depthguard/losses/l1_loss.h"

#include <torch/torch.h>

#include "depthguard/numerics/zero_invalid.h"

namespace depthguard {

torch::Tensor masked_abs_residual(const torch::Tensor& pred, const torch::Tensor& gt,
                                  const torch::Tensor& mask) {
  return (zero_invalid(pred, mask) - zero_invalid(gt, mask)).abs();
}

torch::Tensor mean_over_valid(const torch::Tensor& values, const torch::Tensor& mask) {
  return values.sum() / mask.sum().clamp_min(1).to(values.scalar_type());
}

LossOutput masked_l1_loss(const torch::Tensor& pred, const torch::Tensor& gt,
                          const torch::Tensor& mask) {
  check_loss_inputs("masked_l1_loss", pred, gt, mask);
  const auto loss = mean_over_valid(masked_abs_residual(pred, gt, mask), mask);
  return make_loss_output(loss, loss, mask);
}

}  // namespace depthguard
