#include "depthguard/runtime/precision.h"

namespace depthguard {

const ChoiceTable<Precision>& precision_choices() {
  static const ChoiceTable<Precision> table{
      {"fp32", Precision::Fp32}, {"bf16", Precision::Bf16}, {"fp16", Precision::Fp16}};
  return table;
}

std::optional<c10::ScalarType> autocast_dtype(Precision precision) {
  switch (precision) {
    case Precision::Bf16: return c10::kBFloat16;
    case Precision::Fp16: return c10::kHalf;
    case Precision::Fp32: break;
  }
  return std::nullopt;
}

}  // namespace depthguard
