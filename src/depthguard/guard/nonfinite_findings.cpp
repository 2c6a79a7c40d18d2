#include "depthguard/guard/nonfinite_findings.h"

#include <fmt/format.h>

#include "depthguard/guard/tensor_summary.h"

namespace depthguard {

std::optional<std::string> nonfinite_counts(const torch::Tensor& t) {
  const auto s = summarize(t);
  if (s.nonfinite() == 0) return std::nullopt;
  return fmt::format("{} NaN, {} +inf, {} -inf of {} values", s.nan, s.posinf, s.neginf, s.numel);
}

std::vector<std::string> parameter_findings(torch::nn::Module& model) {
  std::vector<std::string> out;
  for (const auto& [kind, tensors] : {std::pair{"parameter", model.named_parameters()},
                                      std::pair{"buffer", model.named_buffers()}}) {
    for (const auto& t : tensors) {
      if (auto counts = nonfinite_counts(t.value())) out.push_back(fmt::format("{} {}: {}", kind, t.key(), *counts));
    }
  }
  return out;
}

}  // namespace depthguard
