#pragma once
#include <torch/types.h>

namespace depthguard {

/// `t` with the entries where the bool `mask` is false set to 0.
///
/// This, not `t * mask`, is how depthguard masks: inf * 0 and NaN * 0 are NaN, and the
/// gradient of where() to the discarded entries is exactly 0, so whatever an invalid pixel
/// holds (inf, NaN) reaches neither a value nor a gradient downstream. A NaN at a valid
/// entry passes through unchanged.
torch::Tensor zero_invalid(const torch::Tensor& t, const torch::Tensor& mask);

}  // namespace depthguard
