// Dropping gradients instead of zeroing them changes nothing but the work done; weight decay
// and layer-wise learning-rate decay reach the parameters they should.
#include "depthguard/optim/optimizer.h"

#include <cmath>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "depthguard/models/depth_model.h"
#include "depthguard/models/swin_v2_encoder.h"

namespace depthguard {
namespace {

DepthModel small_unet() { return DepthModel(ModelOptions().width(4)); }

std::vector<torch::Tensor> train_linear(bool clear) {
  torch::manual_seed(4);
  auto model = small_unet();
  auto optimizer = make_optimizer(OptimizerOptions(), *model);
  const auto x = torch::randn({2, 3, 32, 32});
  for (int step = 0; step < 5; ++step) {
    if (clear) clear_gradients(*optimizer);
    else optimizer->zero_grad();
    model(x).pow(2).mean().backward();
    optimizer->step();
  }
  return model->parameters();
}

TEST(ClearGradients, LeavesNoGradient) {
  auto model = small_unet();
  auto optimizer = make_optimizer(OptimizerOptions(), *model);
  model(torch::ones({2, 3, 32, 32})).sum().backward();
  ASSERT_TRUE(model->parameters().front().grad().defined());
  clear_gradients(*optimizer);
  for (const auto& p : model->parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(ClearGradients, TrainsBitIdenticallyToZeroGrad) {
  const auto cleared = train_linear(true), zeroed = train_linear(false);
  ASSERT_EQ(cleared.size(), zeroed.size());
  for (size_t i = 0; i < cleared.size(); ++i) EXPECT_TRUE(torch::equal(cleared[i], zeroed[i])) << i;
}

// The group of `optimizer` that holds `p`.
const torch::optim::OptimizerParamGroup& group_of(torch::optim::Optimizer& optimizer, const torch::Tensor& p) {
  for (const auto& g : optimizer.param_groups()) {
    for (const auto& q : g.params()) {
      if (q.is_same(p)) return g;
    }
  }
  throw std::logic_error("parameter in no group");
}

double weight_decay_of(const torch::optim::OptimizerParamGroup& g) {
  return static_cast<const torch::optim::AdamWOptions&>(g.options()).weight_decay();
}

TEST(WeightDecay, WeightsOnlyNotBiasesNormsPositionBiasOrLogitScales) {
  auto model = DepthModel(ModelOptions().arch(Architecture::SwinV2Mim).swin(
      SwinV2Options().embed_dim(8).depths({1, 1, 1, 1}).heads({1, 1, 2, 2}).window_sizes({2, 2, 2, 2})));
  auto optimizer = make_optimizer(OptimizerOptions().weight_decay(0.05), *model);
  const auto params = model->named_parameters();
  for (const auto& [name, decayed] : std::vector<std::pair<std::string, bool>>{
           {"encoder.layers.0.blocks.0.attn.qkv.weight", true},
           {"decoder.conv_layers.0.weight", true},
           {"encoder.layers.0.blocks.0.attn.q_bias", false},
           {"encoder.layers.0.blocks.0.norm1.weight", false},
           {"encoder.layers.0.blocks.0.attn.cpb_mlp.0.weight", false},
           {"encoder.layers.0.blocks.0.attn.logit_scale", false}}) {
    EXPECT_EQ(weight_decay_of(group_of(*optimizer, params[name])), decayed ? 0.05 : 0.0) << name;
  }
}

TEST(LayerDecay, EachLayerLearnsAtItsDecayedRateAndTheHeadAtTheFullRate) {
  auto model = DepthModel(ModelOptions().arch(Architecture::SwinV2Mim).swin(
      SwinV2Options().embed_dim(8).depths({1, 1, 2, 1}).heads({1, 1, 2, 2}).window_sizes({2, 2, 2, 2})));
  const auto options = OptimizerOptions().layer_decay(0.5);
  auto optimizer = make_optimizer(options, *model);
  const auto scales = learning_rate_scales(options, *model);
  ASSERT_EQ(scales.size(), optimizer->param_groups().size());
  set_learning_rate(*optimizer, 1.0, scales);
  EXPECT_EQ(model->layers(), 7);  // patch embedding, 5 blocks, the rest
  const auto params = model->named_parameters();
  for (const auto& [name, layer] : std::vector<std::pair<std::string, int>>{
           {"encoder.patch_embed.proj.weight", 0},
           {"encoder.layers.0.blocks.0.attn.qkv.weight", 1},
           {"encoder.layers.0.downsample.reduction.weight", 1},  // with its stage's last block
           {"encoder.layers.2.blocks.1.mlp.fc2.bias", 4},
           {"encoder.layers.3.blocks.0.norm2.weight", 5},
           {"encoder.norm.weight", 6},
           {"last_layer_depth.2.weight", 6}}) {
    EXPECT_EQ(model->layer_of(name), layer) << name;
    EXPECT_DOUBLE_EQ(group_of(*optimizer, params[name]).options().get_lr(), std::pow(0.5, 6 - layer)) << name;
  }
  EXPECT_EQ(learning_rate_scales(OptimizerOptions(), *model), std::vector<double>({1, 1}));  // off: two groups
  EXPECT_EQ(learning_rate_scales(options, *small_unet()), std::vector<double>({1, 1}));  // no layers: no decay
}

TEST(SetLearningRate, NeedsOneScalePerGroup) {
  auto model = small_unet();
  auto optimizer = make_optimizer(OptimizerOptions(), *model);
  EXPECT_THROW(set_learning_rate(*optimizer, 1.0, {1.0}), c10::Error);
}

}  // namespace
}  // namespace depthguard
