#include "depthguard/models/depth_model.h"

#include <cmath>

#include "depthguard/core/choice.h"
#include "depthguard/numerics/depth_head_options.h"
#include "test_support.h"

namespace depthguard {
namespace {

int64_t parameters_under(DepthModel& model, const std::string& prefix) {
  int64_t n = 0;
  for (const auto& p : model->named_parameters()) {
    if (p.key().rfind(prefix, 0) == 0) n += p.value().numel();
  }
  return n;
}

TEST(DepthModel, BothArchitecturesGiveOneLogDepthPerPixel) {
  torch::manual_seed(0);
  for (const auto arch : {Architecture::ResNet18Mim, Architecture::ResNetUnet}) {
    DepthModel model(ModelOptions().arch(arch).width(8));
    const auto out = model->forward(torch::randn({2, 3, 64, 96}));
    EXPECT_EQ(out.sizes(), torch::IntArrayRef({2, 1, 64, 96})) << choice_name(architecture_choices(), arch);
    EXPECT_TRUE(testing::all_finite(out));
  }
}

// model.norm: the same parameter names whatever the normalisation (group keeps the scale and
// shift; none has none), and only batch norm keeps running statistics.
TEST(DepthModel, NormalisationIsBatchGroupOrNoneUnderTheSameNames) {
  for (const auto arch : {Architecture::ResNet18Mim, Architecture::ResNetUnet}) {
    for (const auto norm : {NormKind::Batch, NormKind::Group, NormKind::None}) {
      DepthModel model(ModelOptions().arch(arch).width(8).norm(norm));
      const auto name = choice_name(architecture_choices(), arch) + " " + choice_name(norm_kind_choices(), norm);
      EXPECT_EQ(model->named_parameters().find("encoder.layer4.1.bn2.weight") != nullptr, norm != NormKind::None)
          << name;
      EXPECT_EQ(model->named_buffers().find("encoder.bn1.running_mean") != nullptr, norm == NormKind::Batch) << name;
      const auto out = model->forward(torch::randn({2, 3, 64, 64}));
      EXPECT_EQ(out.sizes(), torch::IntArrayRef({2, 1, 64, 64})) << name;
      EXPECT_TRUE(testing::all_finite(out)) << name;
    }
  }
}

TEST(DepthModel, ResNet18MimHasTorchvisionsEncoderAndMimsDecoder) {
  DepthModel model(ModelOptions().arch(Architecture::ResNet18Mim).width(default_width(Architecture::ResNet18Mim)));
  // torchvision's resnet18 has 11,689,512 parameters, of which the classifier (fc) 513,000.
  EXPECT_EQ(parameters_under(model, "encoder."), 11689512 - 513000);
  const auto params = model->named_parameters();
  for (const char* name : {"encoder.conv1.weight", "encoder.layer2.0.downsample.0.weight", "encoder.layer4.1.bn2.bias",
                           "decoder.conv_layers.0.weight", "last_layer_depth.2.weight"}) {
    EXPECT_NE(params.find(name), nullptr) << name;
  }
  EXPECT_EQ(params["decoder.deconv_layers.0.weight"].sizes(), torch::IntArrayRef({512, 32, 2, 2}));
  EXPECT_FALSE(params.find("decoder.deconv_layers.0.bias"));
  EXPECT_EQ(params["decoder.deconv_layers.6.weight"].sizes(), torch::IntArrayRef({32, 32, 2, 2}));
  EXPECT_EQ(params["last_layer_depth.2.weight"].sizes(), torch::IntArrayRef({1, 64, 3, 3}));
  // MIM's head init: normal(0, 0.001) and zero bias, so training starts near mid-range.
  EXPECT_NEAR(params["last_layer_depth.0.weight"].std().item<double>(), 0.001, 2e-4);
  EXPECT_EQ(params["last_layer_depth.2.bias"].abs().max().item<double>(), 0.0);
}

TEST(DepthModel, StartsNearHalfTheMaximumDepthWithTheSigmoidHead) {
  torch::manual_seed(1);
  DepthModel model(ModelOptions().arch(Architecture::ResNet18Mim).width(8));
  model->eval();
  const auto out = model->forward(torch::randn({1, 3, 64, 64}));
  EXPECT_LT((out - std::log(5.0)).abs().max().item<double>(), 0.1);
}

TEST(DepthModel, RejectsSidesThatAreNotMultiplesOf32) {
  DepthModel model(ModelOptions().width(4));
  const auto message = testing::error_message<c10::Error>([&] { model->forward(torch::zeros({1, 3, 48, 64})); });
  EXPECT_NE(message.find("48x64 is not a multiple of 32"), std::string::npos) << message;
  EXPECT_NE(testing::error_message<c10::Error>([&] { model->forward(torch::zeros({1, 1, 64, 64})); }), "");
}

TEST(DepthModel, HeadKindComesFromTheNumericsModule) {
  torch::manual_seed(2);
  DepthModel naive(ModelOptions().width(4).head(DepthHeadOptions().kind(HeadKind::Naive)));
  DepthModel fused(ModelOptions().width(4).head(DepthHeadOptions().kind(HeadKind::Fused)));
  torch::NoGradGuard no_grad;
  for (auto& p : naive->named_parameters()) p.value().copy_(fused->named_parameters()[p.key()]);
  naive->eval();
  fused->eval();
  const auto x = torch::randn({1, 3, 32, 32});
  EXPECT_TRUE(torch::allclose(naive->forward(x), fused->forward(x), 1e-5, 1e-5));
  EXPECT_NE(naive->named_modules().find("head"), nullptr);
}

}  // namespace
}  // namespace depthguard
