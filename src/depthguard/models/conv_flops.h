#pragma once
// Counting the floating-point work of a model's convolutions, for throughput figures.
#include <functional>

namespace depthguard {

/// Floating-point operations (2 per multiply-add) of every convolution (aten::convolution,
/// plain or transposed) that `fn` runs on the calling thread, from the operators' real
/// argument shapes (LibTorch's RecordFunction callbacks). Other operators are not counted:
/// on these networks convolutions are nearly all of the work. A training step costs about
/// three times its forward convolutions (backward: gradients of inputs and of weights).
double convolution_flops(const std::function<void()>& fn);

}  // namespace depthguard
