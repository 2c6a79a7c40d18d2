#pragma once
// The sentinel's checks: is every value of a set of tensors finite, and how large are they?
//
// Each check comes in two forms: one that answers on the host (a device read), and one that
// leaves its answer on the tensors' device, so that a training step can gather all its
// figures and read them in one copy (Sentinel::check_step).
#include <vector>

#include <torch/types.h>

namespace depthguard {

/// A float64 scalar on the tensors' device that is finite exactly when every element of
/// every defined floating tensor is (the sum of float64 sums: no finite values overflow it).
/// No read. Edges: an empty list, undefined, empty and integer tensors count as finite; with
/// none left, an undefined tensor (finite by convention); inf + -inf sums to NaN, still caught.
torch::Tensor finite_sum(const std::vector<torch::Tensor>& tensors);

/// True when every element of every defined tensor is finite: finite_sum, read.
bool all_finite(const std::vector<torch::Tensor>& tensors);

/// The L2 norm of all elements of all defined tensors together, accumulated in the tensors'
/// own precision, as a float64 scalar on their device (no read): NaN or inf when an element
/// is not finite, and inf as well when finite float32 values' squares overflow (global_norm
/// tells the two apart). Edges: an empty list, undefined or empty tensors only: undefined.
torch::Tensor norm_on_device(const std::vector<torch::Tensor>& tensors);

/// The L2 norm of all elements of all defined tensors together: NaN or inf exactly when some
/// element is not finite, which makes it the weight check and the gradient norm in one
/// reduction per tensor. norm_on_device read, and computed again in float64 when that is not
/// finite, so finite float32 values whose squares overflow float32 still give a finite norm.
/// Edges: an empty list, undefined or empty tensors give 0.
double global_norm(const std::vector<torch::Tensor>& tensors);

/// The gradients of `parameters` that are defined.
std::vector<torch::Tensor> gradients_of(const std::vector<torch::Tensor>& parameters);

}  // namespace depthguard
