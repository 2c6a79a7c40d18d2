#include "depthguard/numerics/masked_moments.h"

#include <torch/torch.h>

#include "depthguard/guard/op_scope.h"
#include "depthguard/numerics/zero_invalid.h"

namespace depthguard {

const ChoiceTable<VarianceKind> &variance_kind_choices() {
  static const ChoiceTable<VarianceKind> table{{"moments", VarianceKind::Moments},
                                               {"unbiased", VarianceKind::Unbiased},
                                               {"population", VarianceKind::Population}};
  return table;
}

MaskedMoments masked_moments(const torch::Tensor &values, const torch::Tensor &mask,
                             VarianceKind kind) {
  TORCH_CHECK(values.dim() == 2 && values.sizes() == mask.sizes(),
              "masked_moments expects values and mask of the same [G, M] shape");
  TORCH_CHECK(mask.scalar_type() == torch::kBool, "masked_moments expects a bool mask");
  OpScope scope("variance");
  const auto count = mask.sum(1).to(values.scalar_type());
  // Rows with no valid entry divide 0 by 1 instead of 0 by 0.
  const auto divisor = count.clamp_min(1);
  // Invalid entries are zeroed first, so no inf or NaN there enters a product below whose
  // backward would turn 0 * inf into NaN.
  const auto valid = zero_invalid(values, mask);
  const auto mean = valid.sum(1) / divisor;

  if (kind == VarianceKind::Moments) {
    return {count, mean, (valid * valid).sum(1) / divisor - mean * mean};
  }
  const auto centred = zero_invalid(valid - mean.unsqueeze(1), mask);
  const auto squares = (centred * centred).sum(1);
  if (kind == VarianceKind::Unbiased) {
    // N - 1 is kept as it is for N = 1 (0/0 = NaN, as torch.var); only N = 0 is guarded.
    const auto bessel = torch::where(count > 0, count - 1, torch::ones_like(count));
    return {count, mean, squares / bessel};
  }
  return {count, mean, squares / divisor};
}

}  // namespace depthguard
