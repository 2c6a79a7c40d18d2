#include "depthguard/guard/guideline_ops.h"

#include <cmath>

#include <torch/torch.h>

namespace depthguard {

namespace {

// float32 for the narrower floating types, float64 kept: sums of many squares need the range.
torch::Tensor widened(const torch::Tensor& t) { return t.scalar_type() == torch::kDouble ? t : t.to(torch::kFloat); }

void check_mask(const char* op, const torch::Tensor& like, const torch::Tensor& mask) {
  TORCH_CHECK(mask.scalar_type() == torch::kBool, op, ": mask must be a bool tensor, got ", mask.scalar_type());
  TORCH_CHECK(mask.sizes() == like.sizes(), op, ": mask must have the shape ", like.sizes(), ", got ", mask.sizes());
}

// x where mask, 0 elsewhere: a selection, so what lies outside never reaches a product.
torch::Tensor kept(const torch::Tensor& x, const torch::Tensor& mask) {
  return torch::where(mask, x, torch::zeros_like(x));
}

struct MaskedMoments {
  torch::Tensor mean, variance;
};

// The mean and the two-pass population variance of the widened x over mask, the count
// clamped to 1 (N = 0 gives 0 and 0).
MaskedMoments masked_moments_of(const torch::Tensor& x, const torch::Tensor& mask) {
  const auto v = widened(x);
  const auto count = mask.sum().to(v.scalar_type()).clamp_min(1);
  const auto mean = kept(v, mask).sum() / count;
  const auto deviation = kept(v - mean, mask);
  return {mean, (deviation * deviation).sum() / count};
}

}  // namespace

torch::Tensor log_depth_from_logits(const torch::Tensor& x, double max_depth) {
  TORCH_CHECK(max_depth > 0 && std::isfinite(max_depth), "log_depth_from_logits: max_depth must be positive and finite, got ",
              max_depth);
  return torch::log_sigmoid(x) + std::log(max_depth);
}

torch::Tensor masked_variance(const torch::Tensor& x, const torch::Tensor& mask) {
  check_mask("masked_variance", x, mask);
  return masked_moments_of(x, mask).variance;
}

torch::Tensor silog_valid_mask(const torch::Tensor& target, const c10::optional<torch::Tensor>& mask) {
  auto valid = (target > 0) & torch::isfinite(target);
  if (!mask.has_value()) return valid;
  check_mask("silog_loss", target, *mask);
  return valid & *mask;
}

torch::Tensor silog_loss(const torch::Tensor& log_pred, const torch::Tensor& target,
                         const c10::optional<torch::Tensor>& mask, double lambd) {
  TORCH_CHECK(lambd >= 0 && lambd <= 1, "silog_loss: lambd must be in [0, 1], got ", lambd);
  TORCH_CHECK(log_pred.sizes() == target.sizes(), "silog_loss: log_pred and target must have the same shape, got ",
              log_pred.sizes(), " and ", target.sizes());
  const auto t = widened(target);
  const auto valid = silog_valid_mask(target, mask);
  // log(1) at invalid pixels: their target may be 0, negative or not finite.
  const auto d = widened(log_pred) - torch::log(torch::where(valid, t, torch::ones_like(t)));
  const auto moments = masked_moments_of(d, valid);
  return moments.variance + (1.0 - lambd) * moments.mean * moments.mean;
}

}  // namespace depthguard
