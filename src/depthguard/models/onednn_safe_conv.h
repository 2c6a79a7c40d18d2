#pragma once
// A convolution that keeps clear of a oneDNN kernel known to compute wrong. A 1x1 convolution
// with a stride above 1, channels-last tensors and fewer input channels than the kernel
// family's channel block (8 on the AVX2 kernels, 16 on the AVX-512 ones) writes past its
// workspace in backward weights: a weight gradient tens of times off, or a corrupted heap
// (oneDNN issue #6035, docs/guard.md "Kernels that compute wrong"). NCHW runs another
// kernel, which is right.
#include <torch/nn/modules/conv.h>
#include <torch/types.h>

namespace depthguard {

/// Whether `conv` on an input like `x` is the shape oneDNN issue #6035 computes wrong: on the
/// CPU, kernel 1x1, a stride above 1, fewer than 16 input channels (the larger block of the two
/// families), zero padding, and channels-last input or weight. On every kernel family, so that
/// a run does not depend on which one the machine has.
bool hits_onednn_6035(const torch::nn::Conv2dImpl& conv, const torch::Tensor& x);

/// conv(x); where hits_onednn_6035, computed in NCHW (input and weight made contiguous: the
/// copies cost one pass over a layer of fewer than 16 channels, bench/ BM_SafeConv) and
/// returned in x's layout. The gradients reach conv's weight and bias as from conv(x).
torch::Tensor onednn_safe_conv(torch::nn::Conv2dImpl& conv, const torch::Tensor& x);

}  // namespace depthguard
