// oneDNN's kernel family from the CPU's features and ONEDNN_MAX_CPU_ISA, and the layout a run
// takes from it.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "depthguard/runtime/cpu_kernels.h"

namespace depthguard {
namespace {

TEST(CpuKernels, TheFamilyFollowsTheCpuAndTheCap) {
  EXPECT_EQ(cpu_kernels_for(false, ""), CpuKernels::Avx2OrOlder);
  EXPECT_EQ(cpu_kernels_for(false, "ALL"), CpuKernels::Avx2OrOlder);  // a cap cannot add AVX-512
  EXPECT_EQ(cpu_kernels_for(true, ""), CpuKernels::Avx512);
  for (const char* cap : {"AVX2", "avx2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX", "SSE41"}) {
    EXPECT_EQ(cpu_kernels_for(true, cap), CpuKernels::Avx2OrOlder) << cap;
  }
  for (const char* cap : {"AVX512_CORE", "AVX512_CORE_AMX", "AVX10_1_512", "ALL", "DEFAULT", "no-such-isa"}) {
    EXPECT_EQ(cpu_kernels_for(true, cap), CpuKernels::Avx512) << cap;
  }
}

TEST(CpuKernels, AutoLayoutIsChannelsLastOnlyWhereItIsFaster) {
  EXPECT_TRUE(use_channels_last(true, torch::kCPU));
  EXPECT_FALSE(use_channels_last(false, torch::Device("cuda:0")));
  EXPECT_TRUE(use_channels_last(std::nullopt, torch::Device("cuda:0")));
  EXPECT_EQ(use_channels_last(std::nullopt, torch::kCPU), cpu_kernels() == CpuKernels::Avx512);
  EXPECT_NE(describe_cpu_kernels().find("oneDNN"), std::string::npos);
}

}  // namespace
}  // namespace depthguard
