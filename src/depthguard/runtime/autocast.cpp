#include "depthguard/runtime/autocast.h"

#include <string>

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include "depthguard/core/errors.h"

namespace depthguard {

namespace {

// LibTorch 2.4 replaced the per-device calls with ones taking the device type, and its CPU
// autocast runs float16 too.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
constexpr bool kCpuFloat16 = true;
bool enabled(c10::DeviceType d) { return at::autocast::is_autocast_enabled(d); }
void set_enabled(c10::DeviceType d, bool on) { at::autocast::set_autocast_enabled(d, on); }
c10::ScalarType dtype_of(c10::DeviceType d) { return at::autocast::get_autocast_dtype(d); }
void set_dtype(c10::DeviceType d, c10::ScalarType t) { at::autocast::set_autocast_dtype(d, t); }
#else
constexpr bool kCpuFloat16 = false;
bool enabled(c10::DeviceType d) { return d == c10::kCUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled(); }
void set_enabled(c10::DeviceType d, bool on) {
  d == c10::kCUDA ? at::autocast::set_enabled(on) : at::autocast::set_cpu_enabled(on);
}
c10::ScalarType dtype_of(c10::DeviceType d) {
  return d == c10::kCUDA ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
}
void set_dtype(c10::DeviceType d, c10::ScalarType t) {
  d == c10::kCUDA ? at::autocast::set_autocast_gpu_dtype(t) : at::autocast::set_autocast_cpu_dtype(t);
}
#endif

void check_pair(c10::DeviceType device, c10::ScalarType dtype) {
  if (!autocast_runs(device, dtype)) {
    throw InvalidArgument(std::string("Autocast: ") + c10::DeviceTypeName(device) + " autocast does not run " +
                          c10::toString(dtype) + " in LibTorch " + TORCH_VERSION +
                          " (CPU: BFloat16, and Half from LibTorch 2.4; CUDA: BFloat16 or Half)");
  }
}

}  // namespace

bool autocast_runs(c10::DeviceType device, c10::ScalarType dtype) {
  if (device == c10::kCUDA) return dtype == c10::kBFloat16 || dtype == c10::kHalf;
  if (device == c10::kCPU) return dtype == c10::kBFloat16 || (dtype == c10::kHalf && kCpuFloat16);
  return false;
}

Autocast::Autocast(c10::DeviceType device, c10::ScalarType dtype)
    : device_((check_pair(device, dtype), device)), was_enabled_(enabled(device)), previous_dtype_(dtype_of(device)) {
  set_dtype(device, dtype);
  set_enabled(device, true);
  at::autocast::increment_nesting();
}

Autocast::~Autocast() {
  // The outermost scope drops the cached low-precision copies of the weights: they are
  // stale after the optimiser step.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_enabled(device_, was_enabled_);
  set_dtype(device_, previous_dtype_);
}

}  // namespace depthguard
