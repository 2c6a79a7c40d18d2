#pragma once
// The options of the optimiser (what config reads); the optimiser itself is in
// optim/optimizer.h.
#include <torch/arg.h>

#include "depthguard/core/choice.h"

namespace depthguard {

enum class OptimizerKind { AdamW, Sgd };
const ChoiceTable<OptimizerKind>& optimizer_kind_choices();

struct OptimizerOptions {
  TORCH_ARG(OptimizerKind, kind) = OptimizerKind::AdamW;
  /// The peak learning rate; the schedule scales it.
  TORCH_ARG(double, lr) = 1e-3;
  /// Decoupled (AdamW) or L2 (SGD) weight decay, applied to weights only: biases and
  /// normalisation parameters (the 1-D ones) are never decayed.
  TORCH_ARG(double, weight_decay) = 0.01;
  TORCH_ARG(double, momentum) = 0.9;  ///< sgd
  TORCH_ARG(bool, nesterov) = false;  ///< sgd
  TORCH_ARG(double, beta1) = 0.9;     ///< adamw
  TORCH_ARG(double, beta2) = 0.999;   ///< adamw
  TORCH_ARG(double, eps) = 1e-8;      ///< adamw
  /// Clip the global gradient norm to this; 0 = no clipping.
  TORCH_ARG(double, grad_clip) = 0.0;
  /// Layer-wise learning-rate decay (BEiT, SimMIM, MIM): a parameter of layer l of a model
  /// with L layers learns at lr * layer_decay^(L - 1 - l), so the layers near the input,
  /// pretrained, move least. 1 = off; MIM uses 0.9 for SwinV2-B. Only swinv2-mim has layers
  /// (DepthModel::layer_of).
  TORCH_ARG(double, layer_decay) = 1.0;
};

}  // namespace depthguard
