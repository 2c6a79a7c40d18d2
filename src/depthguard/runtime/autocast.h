#pragma once
// Mixed precision through LibTorch's autocast: the operators on its lower-precision list
// (convolutions, matrix products) run in bfloat16 or float16 and the rest (reductions,
// losses, normalisation statistics) in float32, as torch.autocast does. On the CPU it is
// worth it where the CPU has bfloat16 instructions (AVX512-BF16, AMX); elsewhere oneDNN
// emulates them.
#include <c10/core/DeviceType.h>
#include <c10/core/ScalarType.h>

namespace depthguard {

/// While alive, autocast on `device` (kCPU or kCUDA) in `dtype`. The CPU takes kBFloat16
/// only (LibTorch 1.13's CPU autocast has no float16); CUDA takes kBFloat16 and kHalf.
/// Throws InvalidArgument for another pair. Restores the previous setting and drops
/// autocast's weight-cast cache when the outermost scope ends.
class Autocast {
 public:
  explicit Autocast(c10::DeviceType device = c10::kCPU, c10::ScalarType dtype = c10::kBFloat16);
  ~Autocast();
  Autocast(const Autocast&) = delete;
  Autocast& operator=(const Autocast&) = delete;

 private:
  c10::DeviceType device_;
  bool was_enabled_;
  c10::ScalarType previous_dtype_;
};

}  // namespace depthguard
