// Dropping gradients instead of zeroing them changes nothing but the work done.
#include "depthguard/optim/optimizer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace depthguard {
namespace {

std::vector<torch::Tensor> train_linear(bool clear) {
  torch::manual_seed(4);
  torch::nn::Linear model(8, 3);
  auto optimizer = make_optimizer(OptimizerOptions(), *model);
  const auto x = torch::randn({16, 8});
  for (int step = 0; step < 5; ++step) {
    if (clear) clear_gradients(*optimizer);
    else optimizer->zero_grad();
    model(x).pow(2).mean().backward();
    optimizer->step();
  }
  return model->parameters();
}

TEST(ClearGradients, LeavesNoGradient) {
  torch::nn::Linear model(2, 1);
  auto optimizer = make_optimizer(OptimizerOptions(), *model);
  model(torch::ones({1, 2})).sum().backward();
  ASSERT_TRUE(model->weight.grad().defined());
  clear_gradients(*optimizer);
  for (const auto& p : model->parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(ClearGradients, TrainsBitIdenticallyToZeroGrad) {
  const auto cleared = train_linear(true), zeroed = train_linear(false);
  ASSERT_EQ(cleared.size(), zeroed.size());
  for (size_t i = 0; i < cleared.size(); ++i) EXPECT_TRUE(torch::equal(cleared[i], zeroed[i])) << i;
}

}  // namespace
}  // namespace depthguard
