#include "depthguard/numerics/zero_invalid.h"

#include <torch/torch.h>

namespace depthguard {

torch::Tensor zero_invalid(const torch::Tensor& t, const torch::Tensor& mask) {
  return torch::where(mask, t, torch::zeros_like(t));
}

}  // namespace depthguard
