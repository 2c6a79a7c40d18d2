// The kernel check of a run: no finding on depthguard's three models in float32 and bfloat16,
// in both layouts; the trainer runs it before its first step without changing the run, writes
// its report, and can be told not to.
#include <filesystem>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "depthguard/config/train_config.h"
#include "depthguard/runtime/precision.h"
#include "depthguard/train/kernel_check.h"
#include "depthguard/train/trainer.h"
#include "data/data_test_support.h"
#include "test_support.h"
#include "train/tiny_run.h"

namespace depthguard {
namespace {

TrainConfig config_of(const std::string& model_yaml) {
  auto root = testing::tiny_run(2);
  root["model"] = YAML::Load(model_yaml);
  auto config = read_train_config(root);
  if (config.model.arch() == Architecture::SwinV2Mim) {  // the trainer tests' SwinV2, small enough here
    config.model.swin(config.model.swin().embed_dim(8).depths({1, 1, 2, 1}).heads({1, 1, 2, 2}));
  }
  return config;
}

void expect_clean(const std::string& model_yaml, Precision precision, bool channels_last) {
  auto config = config_of(model_yaml);
  config.train.precision = precision;
  torch::manual_seed(0);
  DepthModel model(config.model);
  auto image = torch::randn({2, 3, 64, 64});
  if (channels_last) image = image.contiguous(torch::MemoryFormat::ChannelsLast);
  const auto depth = torch::rand({2, 1, 64, 64}) * 9 + 1;
  const auto report = check_kernels(config, model, image, depth);
  EXPECT_TRUE(report.clean()) << model_yaml << " " << choice_name(precision_choices(), precision) << "\n"
                              << report.text();
  EXPECT_GT(report.ops_checked, 20);
  EXPECT_EQ(report.ops_unchecked, 0) << report.text();
  EXPECT_TRUE(report.forms.empty()) << "depthguard's defaults are the guideline forms\n" << report.text();
}

TEST(KernelCheck, NoFindingOnTheModelsInFloat32AndBfloat16) {
  for (const char* model : {"{arch: unet, width: 4}", "{arch: resnet18-mim}",
                            "{arch: swinv2-mim, window_size: 2}"}) {
    for (const auto precision : {Precision::Fp32, Precision::Bf16}) {
      if (precision == Precision::Bf16 && !testing::bfloat16_convolutions_run()) continue;
      for (const bool channels_last : {false, true}) expect_clean(model, precision, channels_last);
    }
  }
}

TEST(KernelCheck, TheTrainerChecksBeforeItsFirstStepWithoutChangingTheRun) {
  testing::TempDir with("kernel_check_on"), without("kernel_check_off");
  auto root = testing::tiny_run(3);
  train(read_train_config(root), testing::quiet(with.str()));
  root["guard"]["kernel_check"] = false;
  train(read_train_config(root), testing::quiet(without.str()));
  EXPECT_EQ(testing::logged_losses(with.str()), testing::logged_losses(without.str()));  // bit for bit
  EXPECT_EQ(testing::logged_losses(with.str()).size(), 3u);
  const auto report = testing::file_content(with / "kernel-audit.txt");
  EXPECT_NE(report.find("no finding"), std::string::npos) << report;
  EXPECT_FALSE(std::filesystem::exists(without / "kernel-audit.txt"));
}

// Before the NaN: the vulnerable forms a config selects are named in its terms (config keys),
// at the module that runs them; the trainer logs them and keeps them in kernel-audit.txt.
TEST(KernelCheck, TheVulnerableFormsOfAConfigAreNamedInItsTerms) {
  auto config = config_of("{arch: unet, width: 4, head: naive}");
  config.loss.silog.reduction(SilogReduction::Sqrt).variance(VarianceKind::Unbiased);
  torch::manual_seed(0);
  DepthModel model(config.model);
  const auto report = check_kernels(config, model, torch::randn({2, 3, 32, 32}), torch::rand({2, 1, 32, 32}) * 9 + 1);
  std::set<std::string> kinds;
  for (const auto& f : report.forms) {
    kinds.insert(choice_name(nonfinite_cause_choices(), f.cause));
    EXPECT_EQ(f.fix, cause_remedy(f.cause, FixTerms::Trainer));
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"v1_sqrt", "v2_log_sigmoid", "v3_variance"})) << report.text();
  EXPECT_NE(report.text().find("forms: 3 vulnerable forms in this step, before any NaN"), std::string::npos)
      << report.text();
  EXPECT_NE(report.text().find("[v3_variance] aten::div in loss.silog.variance"), std::string::npos) << report.text();
}

// (A value other than auto, true or false: TrainConfig.ValuesOfTheWrongKindSayWhichKind.)
TEST(KernelCheck, TheConfigKeysRead) {
  auto root = testing::tiny_run(1);
  EXPECT_TRUE(read_train_config(root).guard.kernel_check());
  root["guard"]["kernel_check"] = false;
  EXPECT_FALSE(read_train_config(root).guard.kernel_check());
  EXPECT_FALSE(read_train_config(root).train.channels_last.has_value());  // auto
  root["train"]["channels_last"] = "auto";
  EXPECT_FALSE(read_train_config(root).train.channels_last.has_value());
  root["train"]["channels_last"] = false;
  EXPECT_EQ(read_train_config(root).train.channels_last, false);
  root["train"]["channels_last"] = true;
  EXPECT_EQ(read_train_config(root).train.channels_last, true);
}

}  // namespace
}  // namespace depthguard
