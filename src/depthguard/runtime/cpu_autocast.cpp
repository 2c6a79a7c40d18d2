#include "depthguard/runtime/cpu_autocast.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include "depthguard/core/errors.h"

namespace depthguard {

// LibTorch 2.4 replaced the CPU-specific calls with ones taking the device type.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
namespace {
bool cpu_enabled() { return at::autocast::is_autocast_enabled(at::kCPU); }
void set_cpu_enabled(bool on) { at::autocast::set_autocast_enabled(at::kCPU, on); }
c10::ScalarType cpu_dtype() { return at::autocast::get_autocast_dtype(at::kCPU); }
void set_cpu_dtype(c10::ScalarType dtype) { at::autocast::set_autocast_dtype(at::kCPU, dtype); }
}  // namespace
#else
namespace {
bool cpu_enabled() { return at::autocast::is_cpu_enabled(); }
void set_cpu_enabled(bool on) { at::autocast::set_cpu_enabled(on); }
c10::ScalarType cpu_dtype() { return at::autocast::get_autocast_cpu_dtype(); }
void set_cpu_dtype(c10::ScalarType dtype) { at::autocast::set_autocast_cpu_dtype(dtype); }
}  // namespace
#endif

CpuAutocast::CpuAutocast(c10::ScalarType dtype) : was_enabled_(cpu_enabled()), previous_dtype_(cpu_dtype()) {
  if (dtype != c10::kBFloat16) {
    throw InvalidArgument(std::string("CpuAutocast: dtype must be bfloat16, got ") + c10::toString(dtype));
  }
  set_cpu_dtype(dtype);
  set_cpu_enabled(true);
  at::autocast::increment_nesting();
}

CpuAutocast::~CpuAutocast() {
  // The outermost scope drops the cached low-precision copies of the weights: they are
  // stale after the optimiser step.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_cpu_enabled(was_enabled_);
  set_cpu_dtype(previous_dtype_);
}

}  // namespace depthguard
