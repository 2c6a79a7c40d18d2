#pragma once
// The sentinel's checks: is every value of a set of tensors finite?
#include <vector>

#include <torch/types.h>

namespace depthguard {

/// True when every element of every defined tensor is finite. One fused reduction per
/// tensor (a float64 sum, so no finite values can overflow it) and one host sync for all.
/// Edges: an empty list, undefined tensors and empty tensors count as finite; a single NaN,
/// +inf or -inf anywhere gives false (inf + -inf sums to NaN, still caught).
bool all_finite(const std::vector<torch::Tensor>& tensors);

/// The gradients of `parameters` that are defined.
std::vector<torch::Tensor> gradients_of(const std::vector<torch::Tensor>& parameters);

}  // namespace depthguard
