#include "depthguard/guard/finite_check.h"

#include <cmath>

#include <torch/torch.h>

namespace depthguard {

torch::Tensor finite_sum(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> sums;
  for (const auto& t : tensors) {
    if (t.defined() && t.numel() > 0 && t.is_floating_point()) sums.push_back(t.detach().sum(torch::kDouble));
  }
  if (sums.empty()) return {};
  return torch::stack(sums).sum();
}

bool all_finite(const std::vector<torch::Tensor>& tensors) {
  const auto sum = finite_sum(tensors);
  return !sum.defined() || std::isfinite(sum.item<double>());
}

namespace {

torch::Tensor norm_of(const std::vector<torch::Tensor>& tensors, c10::optional<at::ScalarType> accumulate) {
  std::vector<torch::Tensor> norms;
  for (const auto& t : tensors) {
    if (t.defined() && t.numel() > 0) {
      norms.push_back(torch::linalg_vector_norm(t.detach(), 2, c10::nullopt, false, accumulate).to(torch::kDouble));
    }
  }
  if (norms.empty()) return {};
  return torch::linalg_vector_norm(torch::stack(norms), 2);
}

}  // namespace

torch::Tensor norm_on_device(const std::vector<torch::Tensor>& tensors) { return norm_of(tensors, c10::nullopt); }

double global_norm(const std::vector<torch::Tensor>& tensors) {
  // The tensors' own precision first (float32 reductions run at memory speed); only when that
  // is not finite, float64, to tell an overflow of finite values from a NaN or inf element.
  const auto fast = norm_on_device(tensors);
  if (!fast.defined()) return 0;
  const double norm = fast.item<double>();
  return std::isfinite(norm) ? norm : norm_of(tensors, torch::kDouble).item<double>();
}

std::vector<torch::Tensor> gradients_of(const std::vector<torch::Tensor>& parameters) {
  std::vector<torch::Tensor> grads;
  for (const auto& p : parameters) {
    if (p.grad().defined()) grads.push_back(p.grad());
  }
  return grads;
}

}  // namespace depthguard
