#pragma once
// The options of the depth losses and the configured choice among them (what config
// reads); the losses are losses/{silog,berhu,ssi,depth}_loss.h.
#include <cstdint>

#include <torch/arg.h>

#include "depthguard/core/choice.h"
#include "depthguard/numerics/variance_kind.h"

namespace depthguard {

enum class SilogReduction {
  Sqrt,     ///< alpha * sqrt(D): vulnerable (V1)
  SqrtEps,  ///< alpha * sqrt(D + eps): gradient bounded by alpha / (2 sqrt(eps))
  None,     ///< alpha * D: the guideline, default; sqrt(D) is only reported
};
const ChoiceTable<SilogReduction>& silog_reduction_choices();

/// Which pixels share one D.
enum class LossScope {
  Batch,  ///< all valid pixels of the batch pooled (BTS, GLPDepth, MIM, the Toolbox): default
  Image,  ///< one D per image, averaged over images that have a valid pixel
};
const ChoiceTable<LossScope>& loss_scope_choices();

struct SilogLossOptions {
  /// Weight of the scale-invariant part; 1 makes the loss fully scale invariant.
  TORCH_ARG(double, lambda) = 0.85;
  /// Output scale (BTS uses 10).
  TORCH_ARG(double, alpha) = 10.0;
  /// Added under the root by SqrtEps.
  TORCH_ARG(double, eps) = 1e-6;
  TORCH_ARG(VarianceKind, variance) = VarianceKind::Population;
  TORCH_ARG(SilogReduction, reduction) = SilogReduction::None;
  TORCH_ARG(LossScope, scope) = LossScope::Batch;
};

struct BerhuLossOptions {
  /// c = threshold * max |pred - gt| over the batch's valid pixels (Laina et al. 2016: 0.2).
  TORCH_ARG(double, threshold) = 0.2;
};

struct SsiLossOptions {
  /// Weight of the gradient-matching term on the aligned prediction (MiDaS: 0.5; 0 = off).
  TORCH_ARG(double, gradient_weight) = 0.5;
  TORCH_ARG(int64_t, scales) = 4;
  /// A prediction whose std over an image's valid pixels is at most this fraction of
  /// |mean| (plus 1e-12) counts as constant: float32 cannot resolve a scale from it.
  TORCH_ARG(double, constant_tolerance) = 1e-5;
};

enum class LossKind {
  Silog,  ///< on log-depth (default)
  L1,     ///< on depth = exp(log-depth)
  Berhu,  ///< on depth
  Ssi,    ///< on depth, aligned per image
};
const ChoiceTable<LossKind>& loss_kind_choices();

struct LossConfig {
  LossKind kind = LossKind::Silog;
  SilogLossOptions silog;
  BerhuLossOptions berhu;
  SsiLossOptions ssi;
  /// The valid mask: gt finite, > min_depth and (when max_depth > 0) <= max_depth.
  double min_depth = 0.0;
  double max_depth = 0.0;
};

}  // namespace depthguard
