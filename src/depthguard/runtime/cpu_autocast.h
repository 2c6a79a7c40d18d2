#pragma once
// Mixed precision on the CPU: LibTorch's autocast runs the operators on its lower-precision
// list (convolutions, matrix products) in bfloat16 and keeps the rest (reductions, losses,
// normalisation statistics) in float32, as torch.autocast("cpu") does. Worth it where the
// CPU has bfloat16 instructions (AVX512-BF16, AMX); elsewhere oneDNN emulates them.
#include <c10/core/ScalarType.h>

namespace depthguard {

/// While alive, autocast on the CPU in `dtype` (kBFloat16; LibTorch 1.13 takes no other).
/// Restores the previous setting and drops autocast's weight-cast cache when it ends.
class CpuAutocast {
 public:
  explicit CpuAutocast(c10::ScalarType dtype = c10::kBFloat16);
  ~CpuAutocast();
  CpuAutocast(const CpuAutocast&) = delete;
  CpuAutocast& operator=(const CpuAutocast&) = delete;

 private:
  bool was_enabled_;
  c10::ScalarType previous_dtype_;
};

}  // namespace depthguard
