#pragma once
// The paper's guideline forms as tensor functions any training loop can call, in place of the
// vulnerable forms the forms check (vulnerable_forms.h) finds: the log-depth from a head's
// logits through the fused log-sigmoid (V2), the two-pass population variance over a mask
// (V3), and the SILog training objective D itself, with no root (V1), over a count clamped to
// 1 (an empty mask). The Python package registers them as torch operators, whose autograd is
// that of the operators they are made of (depthguard.nn, docs/python.md "Before the NaN").
#include <c10/util/Optional.h>
#include <torch/types.h>

namespace depthguard {

/// log(sigmoid(x) * max_depth), computed as log(max_depth) + logsigmoid(x): it never
/// underflows to log(0). Domain: any x; max_depth > 0 and finite (TORCH_CHECK). Edges: x = -inf
/// gives -inf (depth 0) with gradient 1, x = +inf gives log(max_depth) with gradient 0, NaN
/// gives NaN; the gradient, sigmoid(-x), is in [0, 1] everywhere. float16 and bfloat16 run in
/// their own dtype (logsigmoid(-100) is -100 there too). An empty x gives an empty result.
torch::Tensor log_depth_from_logits(const torch::Tensor& x, double max_depth);

/// The population variance of x's elements where `mask` (bool, x's shape) is true: the mean
/// first, then the mean of the squared deviations (two passes: never negative). Computed in
/// float32 for float16/bfloat16/float32 and in float64 for float64, and returned so. Edges:
/// N = 0 valid elements gives 0 with a zero gradient (the count is clamped to 1); N = 1 gives
/// 0; NaN or +-inf outside the mask is ignored, forward and backward (selected by where, never
/// multiplied); inside it, the result is NaN.
torch::Tensor masked_variance(const torch::Tensor& x, const torch::Tensor& mask);

/// The pixels silog_loss counts: target > 0 and finite, and `mask` (bool, the target's shape)
/// where given. Edges: an empty target gives an empty mask; NaN and +-inf are never valid.
torch::Tensor silog_valid_mask(const torch::Tensor& target, const c10::optional<torch::Tensor>& mask);

/// The SILog training objective D = Var(d) + (1 - lambd) * mean(d)^2 over the valid pixels,
/// d = log_pred - log(target), with the population variance and no square root (train on D;
/// log sqrt(D) for the SILog figure). Valid: target > 0 and finite, and `mask` (bool, the
/// target's shape) where given. log_pred and target have the same shape. lambd in [0, 1]
/// (TORCH_CHECK). Computed in float32 (float64 for float64 inputs). Edges: N = 0 valid pixels
/// gives 0 with a zero gradient; N = 1 gives (1 - lambd) d^2; an invalid pixel's target and
/// log_pred are ignored forward and backward, whatever they hold (0, negative, NaN, +-inf).
torch::Tensor silog_loss(const torch::Tensor& log_pred, const torch::Tensor& target,
                         const c10::optional<torch::Tensor>& mask, double lambd);

}  // namespace depthguard
