#pragma once
// The normalisation layer after each convolution (model.norm).
#include <cstdint>

#include <torch/nn/modules/container/any.h>

#include "depthguard/models/model_options.h"

namespace depthguard {

/// BatchNorm2d(channels) for NormKind::Batch; GroupNorm with gcd(32, channels) groups (32
/// as in MIM's decoder, fewer for narrow layers) for NormKind::Group; Identity for
/// NormKind::None. Batch is torchvision's ResNet; Group and None have no batch statistics,
/// so data-parallel ranks compute exactly what one process of the whole batch would.
/// TORCH_CHECKs channels >= 1.
torch::nn::AnyModule normalization(NormKind kind, int64_t channels);

}  // namespace depthguard
