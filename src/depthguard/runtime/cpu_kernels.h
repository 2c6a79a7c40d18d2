#pragma once
// Which kernel family LibTorch's oneDNN runs on this CPU. oneDNN picks its convolution kernels
// by the instruction set: AVX-512 machines run other kernels than AVX2-only ones (AMD Zen 2,
// many laptops), and the two differ in speed (channels-last wins on AVX-512, loses on AVX2:
// docs/training.md) and in bugs (oneDNN issue #6035, docs/guard.md "Kernels that compute
// wrong"). ONEDNN_MAX_CPU_ISA (or its older name DNNL_MAX_CPU_ISA) caps the family, so an
// AVX-512 machine runs the AVX2 kernels under ONEDNN_MAX_CPU_ISA=AVX2.
#include <optional>
#include <string>

#include <c10/core/Device.h>

namespace depthguard {

enum class CpuKernels {
  Avx512,       ///< oneDNN's avx512_core kernels (AVX-512 F, BW, VL and DQ, not capped)
  Avx2OrOlder,  ///< AVX2 or older: the CPU lacks AVX-512, or ONEDNN_MAX_CPU_ISA caps it
};

/// The family of this process: read once from the CPU (cpuid) and the environment, as oneDNN
/// reads them when it first runs.
CpuKernels cpu_kernels();

/// The family `has_avx512` (all four AVX-512 subsets oneDNN's avx512_core needs) and
/// `max_isa` (the value of ONEDNN_MAX_CPU_ISA, "" when unset; case-insensitive, oneDNN's names:
/// SSE41, AVX, AVX2, AVX2_VNNI, AVX512_CORE, AVX512_CORE_AMX, AVX10_1_512, ALL, DEFAULT) give.
/// An unknown name caps nothing, as oneDNN ignores it.
CpuKernels cpu_kernels_for(bool has_avx512, const std::string& max_isa);

/// "oneDNN AVX-512" or "oneDNN AVX2 (ONEDNN_MAX_CPU_ISA=AVX2)" (for logs and reports).
std::string describe_cpu_kernels();

/// Whether convolution networks train faster channels-last on `device`: on CUDA and on the
/// AVX-512 family, yes; on AVX2-only CPUs no (NCHW, measured in bench/ and docs/training.md).
bool channels_last_is_faster(const c10::Device& device);

/// train.channels_last resolved for `device`: the setting when given, else (auto)
/// channels_last_is_faster.
bool use_channels_last(const std::optional<bool>& setting, const c10::Device& device);

}  // namespace depthguard
