// The losses and metrics on a CUDA device give what they give on the CPU. Runs where
// LibTorch sees a GPU (the device machine); skipped, and said so, elsewhere.
#include "depthguard/losses/berhu_loss.h"
#include "depthguard/losses/gradient_matching_loss.h"
#include "depthguard/losses/l1_loss.h"
#include "depthguard/losses/silog_loss.h"
#include "depthguard/losses/ssi_loss.h"
#include "depthguard/metrics/depth_metrics.h"
#include "depthguard/numerics/depth_head.h"
#include "test_support.h"

namespace depthguard {
namespace {

using LossFn = std::function<LossOutput(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&)>;

class CudaParity : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device visible to LibTorch";
    torch::manual_seed(3);
    gt = torch::rand({2, 1, 16, 20}, torch::kDouble) * 9 + 0.5;
    gt = torch::where(torch::rand_like(gt) < 0.3, torch::zeros_like(gt), gt);
    pred = torch::rand_like(gt) * 9 + 0.5;
  }

  // Value and gradient on both devices, compared in float64.
  void expect_parity(const LossFn& loss) {
    const auto on = [&](torch::Device device) {
      const auto p = pred.to(device).detach().clone().requires_grad_(true);
      const auto g = gt.to(device);
      const auto out = loss(p, g, g > 0);
      out.loss.backward();
      return std::make_pair(out.loss.item<double>(), p.grad().cpu());
    };
    const auto cpu = on(torch::kCPU);
    const auto cuda = on(torch::kCUDA);
    EXPECT_NEAR(cpu.first, cuda.first, 1e-9 * (1 + std::abs(cpu.first)));
    EXPECT_TRUE(torch::allclose(cpu.second, cuda.second, 1e-7, 1e-9));
  }

  torch::Tensor pred, gt;
};

TEST_F(CudaParity, Silog) {
  expect_parity([](auto& p, auto& g, auto& m) { return silog_loss(torch::log(p), g, m); });
  expect_parity([](auto& p, auto& g, auto& m) {
    return silog_loss(torch::log(p), g, m, SilogLossOptions().scope(LossScope::Image));
  });
}

TEST_F(CudaParity, DepthSpaceLosses) {
  expect_parity([](auto& p, auto& g, auto& m) { return masked_l1_loss(p, g, m); });
  expect_parity([](auto& p, auto& g, auto& m) { return berhu_loss(p, g, m); });
  expect_parity([](auto& p, auto& g, auto& m) { return gradient_matching_loss(p, g, m); });
  expect_parity([](auto& p, auto& g, auto& m) { return ssi_loss(p, g, m); });
}

TEST_F(CudaParity, FusedHeadStaysFiniteAndNaiveUnderflows) {
  const auto x = torch::full({4}, -100.0f, torch::kCUDA);
  EXPECT_TRUE(testing::all_finite(log_depth_from_logits(x, DepthHeadOptions())));
  EXPECT_FALSE(testing::all_finite(log_depth_from_logits(x, DepthHeadOptions().kind(HeadKind::Naive))));
}

TEST_F(CudaParity, MetricsOfCudaTensors) {
  const auto cpu = evaluate_image(pred[0], gt[0], EvalOptions());
  const auto cuda = evaluate_image(pred[0].cuda(), gt[0].cuda(), EvalOptions());
  ASSERT_TRUE(cpu && cuda);
  EXPECT_DOUBLE_EQ(cpu->metrics.abs_rel, cuda->metrics.abs_rel);
}

}  // namespace
}  // namespace depthguard
