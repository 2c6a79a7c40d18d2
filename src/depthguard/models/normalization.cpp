#include "depthguard/models/normalization.h"

#include <numeric>

#include <torch/torch.h>

namespace depthguard {

const ChoiceTable<NormKind>& norm_kind_choices() {
  static const ChoiceTable<NormKind> table{
      {"batch", NormKind::Batch}, {"group", NormKind::Group}, {"none", NormKind::None}};
  return table;
}

torch::nn::AnyModule normalization(NormKind kind, int64_t channels) {
  TORCH_CHECK(channels >= 1, "normalization: channels must be >= 1, got ", channels);
  switch (kind) {
    case NormKind::Group:
      return torch::nn::AnyModule(torch::nn::GroupNorm(torch::nn::GroupNormOptions(std::gcd<int64_t>(32, channels),
                                                                                     channels)));
    case NormKind::None:
      return torch::nn::AnyModule(torch::nn::Identity());
    default:
      return torch::nn::AnyModule(torch::nn::BatchNorm2d(channels));
  }
}

}  // namespace depthguard
