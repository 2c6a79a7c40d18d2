#pragma once
// Mixed precision through LibTorch's autocast: the operators on its lower-precision list
// (convolutions, matrix products) run in bfloat16 or float16 and the rest (reductions,
// losses, normalisation statistics) in float32, as torch.autocast does. On the CPU it is
// worth it where the CPU has bfloat16 instructions (AVX512-BF16, AMX); elsewhere oneDNN
// emulates them.
#include <c10/core/DeviceType.h>
#include <c10/core/ScalarType.h>

namespace depthguard {

/// Whether this LibTorch's autocast runs `dtype` on `device`: CUDA bfloat16 and float16; the
/// CPU bfloat16, and float16 from LibTorch 2.4 on (1.13's CPU autocast has no float16).
bool autocast_runs(c10::DeviceType device, c10::ScalarType dtype);

/// While alive, autocast on `device` (kCPU or kCUDA) in `dtype`. Throws InvalidArgument for a
/// pair autocast_runs refuses. Restores the previous setting and drops
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
