#include "depthguard/guard/finite_check.h"

#include <torch/torch.h>

namespace depthguard {

bool all_finite(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> sums;
  for (const auto& t : tensors) {
    if (t.defined() && t.numel() > 0) sums.push_back(t.detach().sum(torch::kDouble));
  }
  if (sums.empty()) return true;
  return std::isfinite(torch::stack(sums).sum().item<double>());
}

double global_norm(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> norms;
  for (const auto& t : tensors) {
    if (t.defined() && t.numel() > 0) {
      norms.push_back(torch::linalg_vector_norm(t.detach(), 2, c10::nullopt, false, torch::kDouble));
    }
  }
  if (norms.empty()) return 0;
  return torch::linalg_vector_norm(torch::stack(norms), 2).item<double>();
}

std::vector<torch::Tensor> gradients_of(const std::vector<torch::Tensor>& parameters) {
  std::vector<torch::Tensor> grads;
  for (const auto& p : parameters) {
    if (p.grad().defined()) grads.push_back(p.grad());
  }
  return grads;
}

}  // namespace depthguard
