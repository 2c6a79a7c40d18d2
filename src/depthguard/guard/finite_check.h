#pragma once
// The sentinel's checks: is every value of a set of tensors finite, and how large are they?
//
// Each check comes in two forms: one that answers on the host (a device read), and one that
// leaves per-tensor figures on the tensors' device, so that a training step can gather all
// its figures, read them in one copy and finish the sums on the host (Sentinel::check_step).
// Per-tensor figures keep the device work at one foreach call per list: on a small model
// the sentinel's cost is the number of operators it dispatches, not their arithmetic.
#include <cstddef>
#include <vector>

#include <torch/types.h>

namespace depthguard {

/// True when every element of every defined tensor is finite (float64 sums, so finite values
/// never overflow them; one read). Edges: an empty list, undefined, empty and integer tensors
/// count as finite; inf + -inf sums to NaN, still caught.
bool all_finite(const std::vector<torch::Tensor>& tensors);

/// The tensors a norm counts: the defined, non-empty floating ones (an integer tensor, such
/// as BatchNorm's num_batches_tracked, cannot hold a non-finite value).
std::vector<torch::Tensor> measurable(const std::vector<torch::Tensor>& tensors);

/// One L2 norm per tensor of `measured` (all measurable), in one foreach call, as a 1-D tensor
/// on their device in their own precision (the widest of them): no read. Norm i is NaN or
/// inf when tensor i holds a non-finite element, and inf as well when its finite squares
/// overflow that precision (float16 beyond 65504, float32 beyond ~1.8e19 per tensor).
/// Edges: an empty list gives an undefined tensor.
torch::Tensor norms_on_device(const std::vector<torch::Tensor>& measured);

/// The L2 norm of everything some per-tensor norms measured, from `count` of them read on
/// the host: the square root of the float64 sum of their squares. NaN when one is NaN, inf
/// when one is inf (and none NaN), 0 for count = 0.
double combined_norm(const double* norms, size_t count);

/// The most elements of a tensor that begin_norm sums on the host: below it, dispatching an
/// operator costs more than a host loop over the values (a bias, a BatchNorm's statistics, a
/// small convolution); above it, LibTorch's vectorised, threaded reduction is faster.
constexpr int64_t kHostSummedElements = 4096;

/// The L2 norm of a list of tensors, begun without a read: the small (kHostSummedElements at
/// most) contiguous float32 CPU tensors summed on the host at once, in float64, so no finite
/// float32 value overflows it; the others left as per-tensor norms on their device
/// (norms_on_device), for the caller's one read.
struct PendingNorm {
  double host_squares = 0;     ///< the float64 sum of the host-summed tensors' squares
  torch::Tensor device_norms;  ///< one norm per other tensor; undefined when none
  /// How many figures device_norms adds to a read (0 when undefined).
  size_t read_count() const;
  /// The norm, given device_norms as read (read_count() values; unread when 0): NaN or inf
  /// when an element is, or when a device norm overflowed its precision.
  double finish(const double* read) const;
};

/// Begins the norm of `measured` (all measurable). Edges: an empty list, a norm of 0 with
/// nothing to read; a NaN or inf element on the host makes host_squares NaN or inf.
PendingNorm begin_norm(const std::vector<torch::Tensor>& measured);

/// The L2 norm of all elements of all measurable tensors together: NaN or inf exactly when
/// some element is not finite, which makes it the weight check and the gradient norm in one.
/// begin_norm read and finished, and computed again in float64 when that is not finite, so
/// finite values whose squares overflow their precision still give a finite norm.
/// Edges: an empty list, undefined, empty or integer tensors only: 0.
double global_norm(const std::vector<torch::Tensor>& tensors);

/// The figures of one device-to-host copy: the tensors' elements (any shape, on one device,
/// any real or bool dtype), in order, as float64. CPU tensors are read in place (no operator
/// dispatched); device tensors are concatenated (promoted to the widest dtype, so nothing is
/// lost) and copied once. Edges: an empty list reads nothing; an empty tensor adds nothing.
std::vector<double> read_figures(const std::vector<torch::Tensor>& figures);

/// The gradients of `parameters` that are defined.
std::vector<torch::Tensor> gradients_of(const std::vector<torch::Tensor>& parameters);

}  // namespace depthguard
