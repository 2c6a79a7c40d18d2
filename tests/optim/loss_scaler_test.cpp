#include "depthguard/optim/loss_scaler.h"

#include <limits>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

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

// On a GPU the scaler runs LibTorch's own operators; the same arithmetic as the tensor-op
// form the CPU of LibTorch 1.13 gets.
TEST(LossScaler, CudaGivesTheSameScalesAndGradients) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  LossScaler cpu(LossScalerOptions().init_scale(16).growth_interval(2), torch::kCPU);
  LossScaler cuda(LossScalerOptions().init_scale(16).growth_interval(2), torch::Device(torch::kCUDA, 0));
  for (const bool overflow : {false, true, false, false, false}) {
    auto p_cpu = parameter_with_grad({32.0f, overflow ? kInf : 8.0f});
    auto p_cuda = torch::zeros({2}, torch::kCUDA).requires_grad_(true);
    p_cuda.mutable_grad() = p_cpu.grad().to(torch::kCUDA);
    const bool found_cpu = overflowed(cpu.unscale({p_cpu})), found_cuda = overflowed(cuda.unscale({p_cuda}));
    EXPECT_EQ(found_cpu, found_cuda);
    EXPECT_TRUE(torch::allclose(p_cpu.grad(), p_cuda.grad().cpu(), 0, 0, /*equal_nan=*/true));
    cpu.update(found_cpu);
    cuda.update(found_cuda);
    EXPECT_EQ(cpu.value(), cuda.value());
    EXPECT_EQ(cpu.good_steps(), cuda.good_steps());
  }
}

}  // namespace
}  // namespace depthguard
