#include "depthguard/guard/kernel_error_bound.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

namespace depthguard {

double unit_roundoff(c10::ScalarType dtype) {
  switch (dtype) {
    case c10::kDouble: return std::ldexp(1.0, -53);
    case c10::kFloat: return std::ldexp(1.0, -24);
    case c10::kHalf: return std::ldexp(1.0, -11);
    case c10::kBFloat16: return std::ldexp(1.0, -8);
    default: throw std::invalid_argument(std::string("unit_roundoff: ") + c10::toString(dtype) + " is not floating");
  }
}

double kernel_error_bound(int64_t reduction_length, c10::ScalarType dtype, bool tf32, int64_t elementwise_steps) {
  if (reduction_length < 0) {
    throw std::invalid_argument("kernel_error_bound: reduction_length must be >= 0, got " +
                                std::to_string(reduction_length));
  }
  if (elementwise_steps < 1) {
    throw std::invalid_argument("kernel_error_bound: elementwise_steps must be >= 1, got " +
                                std::to_string(elementwise_steps));
  }
  const double u_out = unit_roundoff(dtype);
  const double u_acc = dtype == c10::kDouble ? u_out : unit_roundoff(c10::kFloat);
  const double u_in = tf32 ? std::ldexp(1.0, -11) : 0.0;
  const bool reduced = dtype == c10::kHalf || dtype == c10::kBFloat16;
  const double partial_sums =
      reduced && reduction_length > 1 ? std::ceil(std::log2(static_cast<double>(reduction_length))) : 0;
  const double steps = static_cast<double>(elementwise_steps);
  return 2 * (static_cast<double>(reduction_length) * u_acc + steps * u_acc + (1 + partial_sums) * u_out + 2 * u_in);
}

double normwise_error(const at::Tensor& out, const at::Tensor& ref, const at::Tensor& scale) {
  torch::NoGradGuard no_grad;
  const auto got = out.detach().to(torch::kCPU, torch::kDouble);
  const double range = out.scalar_type() == c10::kDouble ? std::numeric_limits<double>::max()
                       : out.scalar_type() == c10::kHalf ? 65504.0
                                                         : static_cast<double>(std::numeric_limits<float>::max());
  const auto kept = torch::isfinite(ref) & (ref.abs() <= range);
  if (!kept.any().item<bool>()) return 0.0;
  const auto diff = (got - ref).abs().masked_select(kept);
  if (!torch::isfinite(diff).all().item<bool>()) return std::numeric_limits<double>::infinity();
  const double worst = diff.max().item<double>();
  const double size = scale.abs().masked_select(kept).max().item<double>();
  if (worst == 0.0) return 0.0;
  return size > 0.0 ? worst / size : std::numeric_limits<double>::infinity();
}

}  // namespace depthguard
