#include "depthguard/config/numerics_config.h"

#include "depthguard/config/yaml_section.h"
#include "depthguard/core/errors.h"
#include "depthguard/losses/loss_options.h"
#include "depthguard/numerics/depth_head_options.h"
#include "depthguard/numerics/variance_kind.h"
#include "test_support.h"

namespace depthguard {
namespace {

LossConfig read_loss(const std::string& yaml) {
  YamlSection section(YAML::Load(yaml)["loss"], "loss");
  auto config = read_loss_config(section);
  section.finish();
  return config;
}

// The ConfigError message of reading `yaml`'s loss section ("" when it reads fine).
std::string loss_error(const std::string& yaml) {
  return testing::error_message<ConfigError>([&] { read_loss(yaml); });
}

TEST(NumericsConfig, AbsentSectionGivesTheGuidelineDefaults) {
  const auto c = read_loss("other: 1");
  EXPECT_EQ(c.kind, LossKind::Silog);
  EXPECT_EQ(c.silog.reduction(), SilogReduction::None);
  EXPECT_EQ(c.silog.variance(), VarianceKind::Population);
  EXPECT_EQ(c.silog.scope(), LossScope::Batch);
  EXPECT_DOUBLE_EQ(c.silog.lambda(), 0.85);
}

TEST(NumericsConfig, EveryKeyIsRead) {
  const auto c = read_loss(R"(
loss:
  name: silog
  lambda: 1.0
  alpha: 1
  eps: 1.0e-4
  variance: unbiased
  reduction: sqrt
  scope: image
  berhu_threshold: 0.3
  gradient_weight: 0
  scales: 2
  min_depth: 0.1
  max_depth: 80
)");
  EXPECT_DOUBLE_EQ(c.silog.lambda(), 1.0);
  EXPECT_DOUBLE_EQ(c.silog.alpha(), 1.0);
  EXPECT_DOUBLE_EQ(c.silog.eps(), 1e-4);
  EXPECT_EQ(c.silog.variance(), VarianceKind::Unbiased);
  EXPECT_EQ(c.silog.reduction(), SilogReduction::Sqrt);
  EXPECT_EQ(c.silog.scope(), LossScope::Image);
  EXPECT_DOUBLE_EQ(c.berhu.threshold(), 0.3);
  EXPECT_DOUBLE_EQ(c.ssi.gradient_weight(), 0.0);
  EXPECT_EQ(c.ssi.scales(), 2);
  EXPECT_DOUBLE_EQ(c.min_depth, 0.1);
  EXPECT_DOUBLE_EQ(c.max_depth, 80.0);
}

TEST(NumericsConfig, ErrorsNameTheKeyAndTheAllowedValues) {
  EXPECT_EQ(loss_error("loss: {reducton: sqrt}"),
            "loss.reducton: unknown key (known keys: alpha, berhu_threshold, eps, gradient_weight, "
            "lambda, max_depth, min_depth, name, reduction, scales, scope, variance)");
  EXPECT_EQ(loss_error("loss: {reduction: root}"),
            "loss.reduction: 'root' is not one of sqrt, sqrt_eps, none");
  EXPECT_EQ(loss_error("loss: {variance: sample}"),
            "loss.variance: 'sample' is not one of moments, unbiased, population");
  EXPECT_EQ(loss_error("loss: {lambda: 1.5}"), "loss.lambda: 1.5 is outside [0, 1]");
  EXPECT_EQ(loss_error("loss: {lambda: .nan}"), "loss.lambda: nan is outside [0, 1]");
  EXPECT_EQ(loss_error("loss: {alpha: ten}"), "loss.alpha: cannot read 'ten': not a number");
  EXPECT_EQ(loss_error("loss: {scales: 2.5}"), "loss.scales: cannot read '2.5': not an integer");
  EXPECT_EQ(loss_error("loss: {scales: 0}"), "loss.scales: 0 is outside [1, 10]");
  EXPECT_EQ(loss_error("loss: [1, 2]"), "loss: expected a mapping of keys to values");
}

TEST(NumericsConfig, HeadKeys) {
  YamlSection model(YAML::Load("{head: naive, max_depth: 80}"), "model");
  const auto head = read_depth_head_options(model);
  EXPECT_EQ(head.kind(), HeadKind::Naive);
  EXPECT_DOUBLE_EQ(head.max_depth(), 80.0);
  YamlSection bad(YAML::Load("{max_depth: 0}"), "model");
  EXPECT_THROW(read_depth_head_options(bad), ConfigError);
  YamlSection unknown(YAML::Load("{head: sigmoid}"), "model");
  try {
    read_depth_head_options(unknown);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "model.head: 'sigmoid' is not one of naive, fused, exp, softplus");
  }
}

}  // namespace
}  // namespace depthguard
