#include "depthguard/losses/depth_loss.h"

#include "depthguard/losses/l1_loss.h"
#include "test_support.h"

namespace depthguard {
namespace {

TEST(DepthLoss, AllInvalidGroundTruthGivesZeroForEveryKind) {
  const auto log_pred = torch::randn({3, 1, 4, 4});
  const auto gt = torch::zeros({3, 1, 4, 4});
  for (const auto& [name, kind] : loss_kind_choices()) {
    LossConfig config;
    config.kind = kind;
    const auto out = depth_loss(config, log_pred, gt);
    EXPECT_EQ(out.loss.item<float>(), 0.0f) << name;
    EXPECT_EQ(out.empty_samples.item<int64_t>(), 3) << name;
  }
}

TEST(DepthLoss, EveryKindIsFiniteOnRandomData) {
  const auto log_pred = torch::randn({2, 1, 8, 8});
  const auto gt = torch::rand({2, 1, 8, 8}) * 10;
  for (const auto& [name, kind] : loss_kind_choices()) {
    LossConfig config;
    config.kind = kind;
    const auto out = depth_loss(config, log_pred, gt);
    EXPECT_TRUE(testing::all_finite(out.loss)) << name;
    EXPECT_GT(out.loss.item<float>(), 0.0f) << name;
  }
}

TEST(DepthLoss, DepthSpaceLossesSeeExpOfLogDepthAndTheConfiguredMask) {
  const auto log_pred = torch::randn({1, 1, 4, 4});
  const auto gt = torch::rand({1, 1, 4, 4}) * 20;
  LossConfig config;
  config.kind = LossKind::L1;
  config.min_depth = 1.0;
  config.max_depth = 10.0;
  const auto expected = masked_l1_loss(torch::exp(log_pred), gt, (gt > 1.0) & (gt <= 10.0));
  EXPECT_FLOAT_EQ(depth_loss(config, log_pred, gt).loss.item<float>(), expected.loss.item<float>());
}

}  // namespace
}  // namespace depthguard
