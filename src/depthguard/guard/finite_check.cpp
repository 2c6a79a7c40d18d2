#include "depthguard/guard/finite_check.h"

#include <torch/torch.h>

namespace depthguard {

bool all_finite(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> sums;
  for (const auto& t : tensors) {
    if (t.defined() && t.numel() > 0 && t.is_floating_point()) sums.push_back(t.detach().sum(torch::kDouble));
  }
  if (sums.empty()) return true;
  return std::isfinite(torch::stack(sums).sum().item<double>());
}

namespace {

double norm_of(const std::vector<torch::Tensor>& tensors, c10::optional<at::ScalarType> accumulate) {
  std::vector<torch::Tensor> norms;
  for (const auto& t : tensors) {
    if (t.defined() && t.numel() > 0) {
      norms.push_back(torch::linalg_vector_norm(t.detach(), 2, c10::nullopt, false, accumulate).to(torch::kDouble));
    }
  }
  if (norms.empty()) return 0;
  return torch::linalg_vector_norm(torch::stack(norms), 2).item<double>();
}

}  // namespace

double global_norm(const std::vector<torch::Tensor>& tensors) {
  // The tensors' own precision first (float32 reductions run at memory speed); only when that
  // is not finite, float64, to tell an overflow of finite values from a NaN or inf element.
  const double fast = norm_of(tensors, c10::nullopt);
  return std::isfinite(fast) ? fast : norm_of(tensors, torch::kDouble);
}

std::vector<torch::Tensor> gradients_of(const std::vector<torch::Tensor>& parameters) {
  std::vector<torch::Tensor> grads;
  for (const auto& p : parameters) {
    if (p.grad().defined()) grads.push_back(p.grad());
  }
  return grads;
}

}  // namespace depthguard
