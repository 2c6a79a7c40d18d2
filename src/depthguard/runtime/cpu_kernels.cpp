#include "depthguard/runtime/cpu_kernels.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <utility>

namespace depthguard {

namespace {

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

bool has_prefix(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// The cap oneDNN reads, ONEDNN_MAX_CPU_ISA first, then its older name: the variable's name and
// value, or two empty strings when neither is set.
std::pair<std::string, std::string> max_isa_setting() {
  for (const char* name : {"ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA"}) {
    if (const char* v = std::getenv(name); v != nullptr && *v != '\0') return {name, v};
  }
  return {};
}

bool cpu_has_avx512() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
#else
  return false;
#endif
}

}  // namespace

CpuKernels cpu_kernels_for(bool has_avx512, const std::string& max_isa) {
  if (!has_avx512) return CpuKernels::Avx2OrOlder;
  const auto isa = upper(max_isa);
  const bool capped_below_avx512 =
      isa == "SSE41" || isa == "AVX" || has_prefix(isa, "AVX2");  // AVX2, AVX2_VNNI, AVX2_VNNI_2
  return capped_below_avx512 ? CpuKernels::Avx2OrOlder : CpuKernels::Avx512;
}

CpuKernels cpu_kernels() {
  static const CpuKernels family = cpu_kernels_for(cpu_has_avx512(), max_isa_setting().second);
  return family;
}

std::string describe_cpu_kernels() {
  const auto [variable, cap] = max_isa_setting();
  return std::string(cpu_kernels() == CpuKernels::Avx512 ? "oneDNN AVX-512" : "oneDNN AVX2 or older") +
         (cap.empty() ? "" : " (" + variable + "=" + cap + ")");
}

bool channels_last_is_faster(const c10::Device& device) {
  return !device.is_cpu() || cpu_kernels() == CpuKernels::Avx512;
}

bool use_channels_last(const std::optional<bool>& setting, const c10::Device& device) {
  return setting.value_or(channels_last_is_faster(device));
}

}  // namespace depthguard
