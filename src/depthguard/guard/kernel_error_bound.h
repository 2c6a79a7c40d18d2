#pragma once
// How far a correct kernel's output may lie from the exact result, and how far it does lie
// from a float64 reference: the arithmetic of the kernel check (kernel_audit.h).
//
// A sum of K products computed in a precision with unit roundoff u is off by at most
// K u sum|a_i b_i| (the classical bound, gamma_K ~ K u, whatever the order of the sum), and
// its rounding to the output's dtype adds u_out |result|. Measured normwise, against the
// largest |a||b| sum of the output (its scale), the bound is (K u_acc + u_out + 2 u_in), where
// u_in is the rounding of the inputs a kernel makes before it multiplies (TF32 on CUDA).
// Real kernels stay far inside it (errors grow like sqrt(K) u); a kernel that writes past
// its buffer or reads the wrong block is off by tens of percent.
#include <cstdint>

#include <ATen/core/Tensor.h>
#include <c10/core/ScalarType.h>

namespace depthguard {

/// The unit roundoff of a floating dtype: float64 2^-53, float32 2^-24, float16 2^-11,
/// bfloat16 2^-8. Throws std::invalid_argument for a non-floating dtype.
double unit_roundoff(c10::ScalarType dtype);

/// The normwise bound above, doubled for margin, for an output in `dtype` made of sums of
/// `reduction_length` terms: kernels accumulate float16 and bfloat16 in float32, so u_acc is
/// float32's for them (and their own for float32 and float64), but a blocked kernel may keep
/// its partial sums in the output's dtype: a float16 or bfloat16 output is allowed
/// 1 + ceil(log2 K) roundings of its own (a tree of partial sums), a float32 or float64 one
/// the final rounding. `elementwise_steps` counts the roundings of what an output element goes
/// through after its sums (a normalisation's subtract, reciprocal square root, scale and
/// shift: 8 with margin; a softmax's exp and divide: 4; a plain sum: 1). `tf32` adds the
/// inputs' rounding to TF32 (2^-11). Edges: reduction_length 0 or 1 leaves the output's own
/// roundings (and TF32's); a negative length or fewer than 1 step throws std::invalid_argument.
double kernel_error_bound(int64_t reduction_length, c10::ScalarType dtype, bool tf32 = false,
                          int64_t elementwise_steps = 1);

/// max |out - ref| / max |scale| over the elements where `ref` is finite and within the range
/// of out's dtype (an overflow of float16 is a precision question, not a kernel's): 0 when no
/// element is left (empty tensors); +inf where out is NaN or +-inf at such an element, or
/// out differs while every scale is 0. `out` may be any floating dtype on any device; `ref`
/// and `scale` are float64 on the CPU with out's shape.
double normwise_error(const at::Tensor& out, const at::Tensor& ref, const at::Tensor& scale);

}  // namespace depthguard
