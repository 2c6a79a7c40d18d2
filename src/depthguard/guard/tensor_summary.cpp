#include "depthguard/guard/tensor_summary.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

namespace depthguard {

std::string TensorSummary::text() const {
  const auto range = numel == 0 ? std::string("empty")
                     : min       ? fmt::format("min {:.6g}, max {:.6g}", *min, *max)
                                 : std::string("no finite value");
  const auto where = device == "cpu" ? dtype : dtype + " on " + device;
  return fmt::format("[{}] {}: {}; {} zeros, {} negative, {} NaN, {} +inf, {} -inf", fmt::join(shape, ", "), where,
                     range, zeros, negatives, nan, posinf, neginf);
}

TensorSummary summarize(const torch::Tensor& t) {
  TensorSummary s;
  if (!t.defined()) return s;
  s.shape = t.sizes().vec();
  s.dtype = std::string(c10::toString(t.scalar_type()));
  s.device = t.device().str();
  s.numel = t.numel();
  if (s.numel == 0) return s;
  torch::NoGradGuard no_grad;
  const auto x = t.detach().to(torch::kCPU, torch::kDouble).reshape(-1);
  const auto finite = torch::isfinite(x);
  s.zeros = (x == 0).sum().item<int64_t>();
  s.negatives = (x < 0).sum().item<int64_t>();
  s.nan = torch::isnan(x).sum().item<int64_t>();
  s.posinf = torch::isposinf(x).sum().item<int64_t>();
  s.neginf = torch::isneginf(x).sum().item<int64_t>();
  const auto values = x.masked_select(finite);
  if (values.numel() > 0) {
    s.min = values.min().item<double>();
    s.max = values.max().item<double>();
  }
  return s;
}

}  // namespace depthguard
