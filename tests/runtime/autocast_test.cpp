// Autocast runs convolutions in bfloat16 (float16 on CUDA) inside the scope only, keeps float32 where
// autocast keeps it, and restores what was set before.
#include "depthguard/runtime/autocast.h"

#include <ATen/autocast_mode.h>
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <torch/version.h>

#include "depthguard/core/errors.h"

namespace depthguard {
namespace {

TEST(Autocast, ConvolutionsRunInBfloat16InsideTheScopeOnly) {
  const auto x = torch::randn({1, 3, 8, 8}), w = torch::randn({4, 3, 3, 3});
  {
    Autocast autocast;
    EXPECT_EQ(torch::conv2d(x, w).scalar_type(), torch::kBFloat16);
    EXPECT_EQ(torch::log_softmax(x, 1).scalar_type(), torch::kFloat);  // kept in float32
  }
  EXPECT_EQ(torch::conv2d(x, w).scalar_type(), torch::kFloat);
}

TEST(Autocast, NestedScopesRestoreTheOuterOne) {
  const auto x = torch::randn({2, 2});
  {
    Autocast outer;
    { Autocast inner; }
    EXPECT_EQ(torch::mm(x, x).scalar_type(), torch::kBFloat16);
  }
  EXPECT_EQ(torch::mm(x, x).scalar_type(), torch::kFloat);
}

// LibTorch 2.4 and later run float16 autocast on the CPU; 1.13 refuses it.
TEST(Autocast, Float16OnTheCpuRunsWhereLibTorchHasIt) {
  if (!autocast_runs(torch::kCPU, torch::kHalf)) {
    EXPECT_LT(TORCH_VERSION_MAJOR * 100 + TORCH_VERSION_MINOR, 204);
    EXPECT_THROW(Autocast(torch::kCPU, torch::kHalf), InvalidArgument);
    return;
  }
  const auto x = torch::randn({2, 2});
  {
    Autocast autocast(torch::kCPU, torch::kHalf);
    EXPECT_EQ(torch::mm(x, x).scalar_type(), torch::kHalf);
    EXPECT_EQ(torch::log_softmax(x, 1).scalar_type(), torch::kFloat);
  }
  EXPECT_EQ(torch::mm(x, x).scalar_type(), torch::kFloat);
}

TEST(Autocast, OtherDevicesAndDtypesAreRefused) {
  EXPECT_FALSE(autocast_runs(torch::kCPU, torch::kDouble));
  EXPECT_FALSE(autocast_runs(torch::kMeta, torch::kBFloat16));
  EXPECT_THROW(Autocast(torch::kCPU, torch::kDouble), InvalidArgument);
}

TEST(Autocast, CudaRunsFloat16AndLeavesTheCpuAlone) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const auto x = torch::randn({2, 2});
  {
    Autocast autocast(torch::kCUDA, torch::kHalf);
    EXPECT_EQ(torch::mm(x.cuda(), x.cuda()).scalar_type(), torch::kHalf);
    EXPECT_EQ(torch::mm(x, x).scalar_type(), torch::kFloat);
  }
  EXPECT_EQ(torch::mm(x.cuda(), x.cuda()).scalar_type(), torch::kFloat);
}

TEST(Autocast, GradientsReachTheFloat32Weights) {
  auto w = torch::randn({4, 3, 3, 3}, torch::requires_grad());
  torch::Tensor y;
  {
    Autocast autocast;
    y = torch::conv2d(torch::randn({1, 3, 8, 8}), w).to(torch::kFloat);
  }
  y.sum().backward();
  ASSERT_TRUE(w.grad().defined());
  EXPECT_EQ(w.grad().scalar_type(), torch::kFloat);
  EXPECT_TRUE(torch::isfinite(w.grad()).all().item<bool>());
}

}  // namespace
}  // namespace depthguard
