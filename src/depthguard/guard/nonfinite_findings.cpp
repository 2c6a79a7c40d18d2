#include "depthguard/guard/nonfinite_findings.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include "depthguard/guard/module_state.h"
#include "depthguard/guard/tensor_summary.h"

namespace depthguard {

std::optional<std::string> nonfinite_counts(const torch::Tensor& t) {
  // One pass for the common, finite case (every checkpoint save checks every tensor); the
  // full summary only for a tensor that needs the counts.
  if (!t.defined() || t.numel() == 0 || !t.is_floating_point() || torch::isfinite(t).all().item<bool>()) {
    return std::nullopt;
  }
  const auto s = summarize(t);
  if (s.nonfinite() == 0) return std::nullopt;
  return fmt::format("{} NaN, {} +inf, {} -inf of {} values", s.nan, s.posinf, s.neginf, s.numel);
}

std::vector<std::string> parameter_findings(const std::vector<NamedTensor>& parameters,
                                            const std::vector<NamedTensor>& buffers) {
  std::vector<std::string> out;
  for (const auto& [kind, tensors] : {std::pair{"parameter", &parameters}, std::pair{"buffer", &buffers}}) {
    for (const auto& [name, t] : *tensors) {
      if (auto counts = nonfinite_counts(t)) out.push_back(fmt::format("{} {}: {}", kind, name, *counts));
    }
  }
  return out;
}

std::vector<std::string> parameter_findings(torch::nn::Module& model) {
  return parameter_findings(named_tensors(model.named_parameters()), named_tensors(model.named_buffers()));
}

}  // namespace depthguard
