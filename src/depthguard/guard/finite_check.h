#pragma once
// The sentinel's checks: is every value of a set of tensors finite?
#include <vector>

#include <torch/types.h>

namespace depthguard {

/// True when every element of every defined tensor is finite. One fused reduction per
/// tensor (a float64 sum, so no finite values can overflow it) and one host sync for all.
/// Edges: an empty list, undefined, empty and integer tensors count as finite; a single NaN,
/// +inf or -inf anywhere gives false (inf + -inf sums to NaN, still caught).
bool all_finite(const std::vector<torch::Tensor>& tensors);

/// The L2 norm of all elements of all defined tensors together: NaN or inf exactly when some
/// element is not finite, which makes it the weight check and the gradient norm in one
/// reduction per tensor. Computed in the tensors' precision, and again in float64 when that
/// overflows, so finite float32 values whose squares overflow float32 still give a finite
/// norm. Edges: an empty list, undefined or empty tensors give 0.
double global_norm(const std::vector<torch::Tensor>& tensors);

/// The gradients of `parameters` that are defined.
std::vector<torch::Tensor> gradients_of(const std::vector<torch::Tensor>& parameters);

}  // namespace depthguard
