#pragma once
// The options of the network head (what config reads); the head is numerics/depth_head.h.
#include <torch/arg.h>

#include "depthguard/core/choice.h"

namespace depthguard {

enum class HeadKind {
  Naive,     ///< log(sigmoid(x) * max_depth): vulnerable (V2)
  Fused,     ///< log(max_depth) + log_sigmoid(x): the guideline, default
  Exp,       ///< log_depth = x (depth = exp(x)); unbounded, for comparison
  Softplus,  ///< log(softplus(x) + min_depth); for comparison
};

const ChoiceTable<HeadKind>& head_kind_choices();

struct DepthHeadOptions {
  /// Which form turns a logit into log-depth.
  TORCH_ARG(HeadKind, kind) = HeadKind::Fused;
  /// Upper end of the sigmoid heads (metres); must be > 0.
  TORCH_ARG(double, max_depth) = 10.0;
  /// Offset of the softplus head (metres); must be > 0 so log-depth stays finite.
  TORCH_ARG(double, min_depth) = 1e-3;
};

}  // namespace depthguard
