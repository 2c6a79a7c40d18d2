#pragma once
// The network head: maps the last convolution's logits to log-depth (metres).
//
// Vulnerability 2 of the paper lives here. `naive` is the MIM/GLPDepth form
// depth = sigmoid(x) * max_depth followed by log(depth): float32 sigmoid underflows to 0
// below x ~ -88, the log is -inf and its gradient 1/sigmoid is inf (NaN after the chain
// rule). `fused` computes the same quantity as log(max_depth) + log_sigmoid(x).
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "depthguard/numerics/depth_head_options.h"

namespace depthguard {

/// Log-depth from logits, elementwise, any shape.
///
/// Domain and edges (float32; x is one logit):
/// - fused: finite for every finite x; value in (-inf, log(max_depth)]; gradient
///   1 - sigmoid(x) in [0, 1]. x = +inf gives log(max_depth) with gradient 0;
///   x = -inf gives -inf with gradient 1.
/// - naive: equal to fused to float32 rounding while sigmoid(x) is a normal float; below
///   x ~ -88 the value is -inf and the gradient NaN (the vulnerability, kept on purpose).
/// - exp: identity; +-inf pass through, gradient 1.
/// - softplus: log(softplus(x) + min_depth); x = -inf gives log(min_depth) with gradient 0,
///   x = +inf gives +inf.
/// - NaN in gives NaN out, for every kind: a NaN is never hidden.
/// - An empty tensor gives an empty tensor.
torch::Tensor log_depth_from_logits(const torch::Tensor& logits, const DepthHeadOptions& options);

/// The head as a module (no parameters), so models compose it and forensics can name it.
class DepthHeadImpl : public torch::nn::Cloneable<DepthHeadImpl> {
 public:
  explicit DepthHeadImpl(DepthHeadOptions options = {});
  void reset() override;
  torch::Tensor forward(const torch::Tensor& logits);

  DepthHeadOptions options;
};
TORCH_MODULE(DepthHead);

}  // namespace depthguard
