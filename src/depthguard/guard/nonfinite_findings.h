#pragma once
// Names the tensors that hold non-finite values, in the words of a forensics report:
// "parameter head.weight: 1 NaN, 0 +inf, 0 -inf of 9 values".
#include <optional>
#include <string>
#include <vector>

#include <torch/nn/module.h>

#include "depthguard/guard/watched_state.h"

namespace depthguard {

/// "N NaN, P +inf, M -inf of T values" when `t` holds a non-finite value, else none.
/// Edges: undefined, empty and integer tensors give none.
std::optional<std::string> nonfinite_counts(const torch::Tensor& t);

/// One finding per non-finite parameter and buffer of `model`, by its full name
/// ("parameter head.weight: ...", "buffer bn.running_var: ..."); empty when all are finite.
std::vector<std::string> parameter_findings(torch::nn::Module& model);
/// The same over named tensors (WatchedState's).
std::vector<std::string> parameter_findings(const std::vector<NamedTensor>& parameters,
                                            const std::vector<NamedTensor>& buffers);

}  // namespace depthguard
