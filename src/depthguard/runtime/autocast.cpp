#include "depthguard/runtime/autocast.h"

#include <string>

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include "depthguard/core/errors.h"

namespace depthguard {

namespace {

// LibTorch 2.4 replaced the per-device calls with ones taking the device type.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool enabled(c10::DeviceType d) { return at::autocast::is_autocast_enabled(d); }
void set_enabled(c10::DeviceType d, bool on) { at::autocast::set_autocast_enabled(d, on); }
c10::ScalarType dtype_of(c10::DeviceType d) { return at::autocast::get_autocast_dtype(d); }
void set_dtype(c10::DeviceType d, c10::ScalarType t) { at::autocast::set_autocast_dtype(d, t); }
#else
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
  const bool ok = (device == c10::kCPU && dtype == c10::kBFloat16) ||
                  (device == c10::kCUDA && (dtype == c10::kBFloat16 || dtype == c10::kHalf));
  if (!ok) {
    throw InvalidArgument(std::string("Autocast: ") + c10::DeviceTypeName(device) + " autocast does not run " +
                          c10::toString(dtype) + " (CPU: BFloat16; CUDA: BFloat16 or Half)");
  }
}

}  // namespace

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
