#include "depthguard/losses/berhu_loss.h"

#include <torch/torch.h>

#include "depthguard/losses/l1_loss.h"

namespace depthguard {

LossOutput berhu_loss(const torch::Tensor& pred, const torch::Tensor& gt, const torch::Tensor& mask,
                      const BerhuLossOptions& options) {
  check_loss_inputs("berhu_loss", pred, gt, mask);
  const auto r = masked_abs_residual(pred, gt, mask);
  const auto c = r.numel() > 0 ? options.threshold() * r.detach().max() : torch::zeros({}, r.options());
  // c = 0 only when every residual is 0; then every pixel takes the linear branch, and the
  // quadratic one must still not divide by 0 (where()'s zero gradient times inf is NaN).
  const auto c_safe = torch::where(c > 0, c, torch::ones_like(c));
  const auto quadratic = (r * r + c_safe * c_safe) / (2 * c_safe);
  const auto loss = mean_over_valid(torch::where(r <= c, r, quadratic), mask);
  return make_loss_output(loss, loss, mask);
}

}  // namespace depthguard
