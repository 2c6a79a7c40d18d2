#include "depthguard/losses/loss_output.h"

#include <torch/torch.h>

namespace depthguard {

LossOutput make_loss_output(torch::Tensor loss, torch::Tensor report, const torch::Tensor& mask) {
  LossOutput out;
  out.loss = std::move(loss);
  out.report = report.detach();
  out.valid_pixels = mask.sum();
  const auto per_sample = as_rows(mask, mask.dim() > 0 ? mask.size(0) : 1).sum(1);
  out.empty_samples = (per_sample == 0).sum();
  return out;
}

torch::Tensor as_rows(const torch::Tensor& t, int64_t rows) {
  return t.reshape({rows, rows > 0 ? t.numel() / rows : 0});
}

void check_loss_inputs(const char* loss, const torch::Tensor& pred, const torch::Tensor& target,
                       const torch::Tensor& mask) {
  TORCH_CHECK(pred.sizes() == target.sizes() && pred.sizes() == mask.sizes(), loss,
              ": prediction ", pred.sizes(), ", target ", target.sizes(), " and mask ",
              mask.sizes(), " must have the same shape");
  TORCH_CHECK(mask.scalar_type() == torch::kBool, loss, ": the valid mask must be bool");
  TORCH_CHECK(pred.dim() >= 1, loss, ": expects a batch dimension");
}

}  // namespace depthguard
