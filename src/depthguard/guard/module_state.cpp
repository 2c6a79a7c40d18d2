#include "depthguard/guard/module_state.h"

namespace depthguard {

std::vector<NamedTensor> named_tensors(const torch::OrderedDict<std::string, at::Tensor>& tensors) {
  std::vector<NamedTensor> out;
  out.reserve(tensors.size());
  for (const auto& t : tensors) out.emplace_back(t.key(), t.value());
  return out;
}

}  // namespace depthguard
