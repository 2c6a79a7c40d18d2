#include "depthguard/runtime/precision.h"

namespace depthguard {

const ChoiceTable<Precision>& precision_choices() {
  static const ChoiceTable<Precision> table{{"fp32", Precision::Fp32}, {"bf16", Precision::Bf16}};
  return table;
}

std::optional<c10::ScalarType> autocast_dtype(Precision precision) {
  if (precision == Precision::Bf16) return c10::kBFloat16;
  return std::nullopt;
}

}  // namespace depthguard
