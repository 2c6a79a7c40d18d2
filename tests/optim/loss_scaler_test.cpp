#include "depthguard/optim/loss_scaler.h"

#include <limits>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <torch/version.h>

#include "test_support.h"

namespace depthguard {
namespace {

using testing::error_message;
using testing::kInf;
using testing::kNaN;

// The found-inf flag unscale leaves on the device, read.
bool overflowed(const torch::Tensor& found_inf) { return found_inf.item<float>() != 0; }

torch::Tensor parameter_with_grad(std::vector<float> grad) {
  auto p = torch::zeros({static_cast<int64_t>(grad.size())}).requires_grad_(true);
  p.mutable_grad() = torch::tensor(grad);
  return p;
}

TEST(LossScaler, ScalesTheLossAndUnscalesGradientsExactly) {
  LossScaler scaler(LossScalerOptions().init_scale(1024), torch::kCPU);
  EXPECT_EQ(scaler.scale(torch::tensor(0.5f)).item<float>(), 512.0f);
  EXPECT_EQ(scaler.scale(torch::tensor(0.5, torch::kDouble)).scalar_type(), torch::kDouble);  // the loss's dtype
  auto a = parameter_with_grad({1024.0f, -3072.0f}), b = parameter_with_grad({1.0f});
  auto no_grad = torch::zeros({2}).requires_grad_(true);  // undefined gradient: left alone
  EXPECT_FALSE(overflowed(scaler.unscale({a, b, no_grad})));
  EXPECT_TRUE(torch::equal(a.grad(), torch::tensor({1.0f, -3.0f})));
  EXPECT_EQ(b.grad().item<float>(), 1.0f / 1024);
  EXPECT_FALSE(no_grad.grad().defined());
  EXPECT_FALSE(overflowed(scaler.unscale({})));  // nothing to unscale: nothing overflowed
}

TEST(LossScaler, AnInfOrNanGradientIsAnOverflow) {
  for (const float bad : {kInf, -kInf, kNaN}) {
    LossScaler scaler({}, torch::kCPU);
    auto fine = parameter_with_grad({2.0f}), broken = parameter_with_grad({1.0f, bad});
    EXPECT_TRUE(overflowed(scaler.unscale({fine, broken}))) << bad;
    EXPECT_FALSE(overflowed(scaler.unscale({fine}))) << "the flag is per call";
  }
}

TEST(LossScaler, BacksOffOnOverflowAndGrowsAfterTheInterval) {
  LossScaler scaler(LossScalerOptions().init_scale(8).growth_interval(3), torch::kCPU);
  scaler.update(true);
  EXPECT_EQ(scaler.value(), 4.0);
  EXPECT_EQ(scaler.good_steps(), 0);
  scaler.update(false);
  scaler.update(false);
  EXPECT_EQ(scaler.value(), 4.0);
  EXPECT_EQ(scaler.good_steps(), 2);
  scaler.update(false);  // the third good step in a row
  EXPECT_EQ(scaler.value(), 8.0);
  EXPECT_EQ(scaler.good_steps(), 0);
  scaler.update(false);
  scaler.update(true);  // an overflow restarts the count
  EXPECT_EQ(scaler.value(), 4.0);
  EXPECT_EQ(scaler.good_steps(), 0);
}

TEST(LossScaler, NeverGrowsToInfinityInFloat32) {
  LossScaler scaler(LossScalerOptions().init_scale(3e38).growth_interval(1), torch::kCPU);
  scaler.update(false);
  EXPECT_FLOAT_EQ(static_cast<float>(scaler.value()), 3e38f);
  EXPECT_EQ(scaler.good_steps(), 0);
}

TEST(LossScaler, RestoresACheckpointsScaleAndChecksItsOptions) {
  LossScaler scaler({}, torch::kCPU);
  EXPECT_EQ(scaler.value(), 65536.0);  // PyTorch's default
  scaler.restore(128, 7);
  EXPECT_EQ(scaler.value(), 128.0);
  EXPECT_EQ(scaler.good_steps(), 7);
  EXPECT_NE(error_message([&] { scaler.restore(0, 0); }).find("scale must be finite and > 0"), std::string::npos);
  EXPECT_NE(error_message([] { LossScaler s(LossScalerOptions().init_scale(0), torch::kCPU); }).find("init_scale"),
            std::string::npos);
  EXPECT_NE(error_message([] { LossScaler s(LossScalerOptions().growth_factor(1), torch::kCPU); }).find("growth_factor"),
            std::string::npos);
  EXPECT_NE(error_message([] { LossScaler s(LossScalerOptions().backoff_factor(1), torch::kCPU); }).find("backoff_factor"),
            std::string::npos);
  EXPECT_NE(error_message([] { LossScaler s(LossScalerOptions().growth_interval(0), torch::kCPU); }).find("growth_interval"),
            std::string::npos);
}

// `native` runs LibTorch's own AMP operators on its device, `reference` the tensor-op form on
// the CPU: the same found-inf flags, unscaled gradients, scales and counts through growth,
// an inf, a NaN and growth again.
void expect_same_scaling(LossScaler& native, LossScaler& reference, c10::Device device) {
  ASSERT_TRUE(native.uses_amp_kernels());
  ASSERT_FALSE(reference.uses_amp_kernels());
  for (const float bad : {8.0f, kInf, 8.0f, 8.0f, kNaN, 8.0f, 8.0f, 8.0f}) {
    auto p_reference = parameter_with_grad({32.0f, bad, -0.25f});
    auto p_native = torch::zeros({3}, device).requires_grad_(true);
    p_native.mutable_grad() = p_reference.grad().to(device);
    const bool found_reference = overflowed(reference.unscale({p_reference}));
    const bool found_native = overflowed(native.unscale({p_native}));
    EXPECT_EQ(found_native, found_reference);
    EXPECT_TRUE(torch::allclose(p_native.grad().cpu(), p_reference.grad(), 0, 0, /*equal_nan=*/true));
    native.update(found_native);
    reference.update(found_reference);
    EXPECT_EQ(native.value(), reference.value());
    EXPECT_EQ(native.good_steps(), reference.good_steps());
  }
  // 16; the inf backs off to 8; two good steps grow it to 16; the NaN backs off to 8; two good
  // steps grow it to 16; one good step since.
  EXPECT_EQ(native.value(), 16.0);
  EXPECT_EQ(native.good_steps(), 1);
}

const auto kScaling = LossScalerOptions().init_scale(16).growth_interval(2);

// LibTorch 2.x has CPU kernels for the AMP operators (since 2.3); 1.13 has none, and the
// scaler falls back to the tensor-op form there.
TEST(LossScaler, TheCpuRunsLibTorchsAmpKernelsFromLibTorch2) {
  LossScaler cpu(kScaling, torch::kCPU), reference(LossScalerOptions(kScaling).amp_kernels(false), torch::kCPU);
  if (TORCH_VERSION_MAJOR < 2) {
    EXPECT_FALSE(cpu.uses_amp_kernels());
    GTEST_SKIP() << "LibTorch " << TORCH_VERSION << " has no CPU kernels for the AMP operators";
  }
  expect_same_scaling(cpu, reference, torch::kCPU);
}

TEST(LossScaler, CudaGivesTheSameScalesAndGradients) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const torch::Device gpu(torch::kCUDA, 0);
  LossScaler cuda(kScaling, gpu), reference(LossScalerOptions(kScaling).amp_kernels(false), torch::kCPU);
  expect_same_scaling(cuda, reference, gpu);
}

}  // namespace
}  // namespace depthguard
