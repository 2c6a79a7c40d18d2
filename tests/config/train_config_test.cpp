#include "depthguard/config/train_config.h"

#include <fstream>

#include "data/data_test_support.h"
#include "depthguard/core/errors.h"
#include "depthguard/losses/loss_options.h"
#include "depthguard/models/model_options.h"
#include "depthguard/numerics/depth_head_options.h"
#include "depthguard/optim/lr_schedule_options.h"
#include "depthguard/optim/optimizer_options.h"
#include "depthguard/runtime/autocast.h"
#include "test_paths.h"
#include "test_support.h"

namespace depthguard {
namespace {

std::string config_error(const std::string& yaml) {
  return testing::error_message<ConfigError>([&] { read_train_config(YAML::Load(yaml)); });
}

TEST(TrainConfig, EmptyConfigTakesTheGuidelineDefaults) {
  const auto c = read_train_config(YAML::Load("{}"));
  EXPECT_EQ(c.model.arch(), Architecture::ResNetUnet);
  EXPECT_EQ(c.model.width(), 32);
  EXPECT_EQ(c.model.head().kind(), HeadKind::Fused);
  EXPECT_EQ(c.loss.silog.reduction(), SilogReduction::None);
  EXPECT_EQ(c.optimizer.kind(), OptimizerKind::AdamW);
  EXPECT_EQ(c.schedule.kind(), ScheduleKind::Constant);
  EXPECT_EQ(read_train_config(YAML::Load("model: {arch: resnet18-mim}")).model.width(), 64);
}

TEST(TrainConfig, ResolvedConfigHoldsEveryKeyAndReadsBackTheSame) {
  const auto c = read_train_config(YAML::Load("optimizer: {lr: 0.01}\nmodel: {arch: resnet18-mim}"));
  EXPECT_EQ(c.resolved["optimizer"]["lr"].as<double>(), 0.01);
  EXPECT_EQ(c.resolved["optimizer"]["weight_decay"].as<double>(), 0.01);  // a default
  EXPECT_EQ(c.resolved["model"]["width"].as<int>(), 64);
  EXPECT_EQ(c.resolved["loss"]["reduction"].as<std::string>(), "none");
  EXPECT_EQ(c.resolved["eval"]["data"]["synthetic"]["first_index"].as<int>(), 1000);
  const auto again = read_train_config(YAML::Load(YAML::Dump(c.resolved)));
  EXPECT_EQ(YAML::Dump(again.resolved), YAML::Dump(c.resolved));
}

TEST(TrainConfig, SwinV2MimTakesAPublishedSizeAndPerStageWindows) {
  const auto c = read_train_config(YAML::Load(
      "model: {arch: swinv2-mim, backbone: base, window_size: [30, 30, 30, 15], pretrain_window_size: 12, "
      "use_shift: [true, true, true, false], drop_path_rate: 0.3}\noptimizer: {layer_decay: 0.9}"));
  const auto& s = c.model.swin();
  EXPECT_EQ(s.embed_dim(), 128);
  EXPECT_EQ(s.depths(), (std::vector<int64_t>{2, 2, 18, 2}));
  EXPECT_EQ(s.heads(), (std::vector<int64_t>{4, 8, 16, 32}));
  EXPECT_EQ(s.window_sizes(), (std::vector<int64_t>{30, 30, 30, 15}));
  EXPECT_EQ(s.pretrain_window_sizes(), (std::vector<int64_t>{12, 12, 12, 12}));  // one value: every stage
  EXPECT_EQ(s.use_shift(), (std::vector<bool>{true, true, true, false}));
  EXPECT_EQ(s.drop_path_rate(), 0.3);
  EXPECT_EQ(c.optimizer.layer_decay(), 0.9);
  EXPECT_EQ(c.resolved["model"]["window_size"].size(), 4u);
  const auto again = read_train_config(YAML::Load(YAML::Dump(c.resolved)));
  EXPECT_EQ(YAML::Dump(again.resolved), YAML::Dump(c.resolved));
  EXPECT_EQ(read_train_config(YAML::Load("model: {arch: swinv2-mim}")).model.swin().embed_dim(), 96);  // tiny

  EXPECT_NE(config_error("model: {arch: swinv2-mim, window_size: [8, 8, 8]}")
                .find("model.window_size: 3 values given, expected 4 (one per stage) or a single value for all"),
            std::string::npos);
  EXPECT_NE(config_error("model: {arch: swinv2-mim, backbone: huge}").find("model.backbone: 'huge' is not one of"),
            std::string::npos);
  EXPECT_NE(config_error("model: {arch: swinv2-mim, window_size: 0}").find("model.window_size: 0 is outside"),
            std::string::npos);
  EXPECT_NE(config_error("model: {arch: swinv2-mim, use_shift: [yes, no, maybe, true]}").find("model.use_shift"),
            std::string::npos);
  EXPECT_NE(config_error("model: {arch: swinv2-mim, width: 64}").find("model.width: unknown key"), std::string::npos);
  EXPECT_NE(config_error("model: {backbone: base}").find("model.backbone: unknown key"), std::string::npos);
  EXPECT_NO_THROW(read_train_config(YAML::Load("model: {arch: swinv2-mim, width: null}")));  // null clears a key
  EXPECT_NE(config_error("optimizer: {layer_decay: 0}").find("optimizer.layer_decay"), std::string::npos);
}

TEST(TrainConfig, SyntheticEvalDataIsHeldOutAndUnaugmented) {
  const auto c = read_train_config(YAML::Load(
      "data: {synthetic: {count: 50, first_index: 10, height: 64}, augment: {crop_height: 32}}"));
  EXPECT_EQ(c.eval.data.first_index, 60);
  EXPECT_EQ(c.eval.data.count, 64);
  EXPECT_EQ(c.eval.data.synthetic.height(), 64);
  EXPECT_FALSE(c.eval.data.loader.augment().has_value());
  EXPECT_TRUE(c.data.loader.augment().has_value());
}

TEST(TrainConfig, RealDatasetsMustNameTheirTestSplit) {
  const auto message = config_error("data: {dataset: nyu, split: train.txt, root: /data}");
  EXPECT_NE(message.find("eval.data.split: required for dataset nyu"), std::string::npos) << message;
}

TEST(TrainConfig, UnknownKeysAndBadValuesAreNamedWithWhatIsAllowed) {
  EXPECT_NE(config_error("optimizer: {nmae: sgd}").find("optimizer.nmae: unknown key"), std::string::npos);
  EXPECT_NE(config_error("trian: {steps: 3}").find("trian: unknown key"), std::string::npos);
  EXPECT_NE(config_error("optimizer: {name: adam}").find("optimizer.name: 'adam' is not one of adamw, sgd"),
            std::string::npos);
  EXPECT_NE(config_error("schedule: {name: cosine}").find("constant, step, poly, onecycle"), std::string::npos);
  EXPECT_NE(config_error("model: {arch: vit}").find("model.arch: 'vit' is not one of resnet18-mim, unet"),
            std::string::npos);
  EXPECT_NE(config_error("optimizer: {lr: -1}").find("optimizer.lr: -1 is outside"), std::string::npos);
  EXPECT_NE(config_error("train: {steps: many}").find("train.steps: cannot read"), std::string::npos);
  EXPECT_NE(config_error("eval: {min_depth: 5, max_depth: 1}").find("eval.min_depth must be below eval.max_depth"),
            std::string::npos);
  // The config layer names the key of what the evaluation itself would reject (min_depth > 0).
  EXPECT_NE(config_error("eval: {min_depth: 0}").find("eval.min_depth: 0 is outside"), std::string::npos);
}

TEST(TrainConfig, DeviceAndPrecisionAreCheckedWhenReadAndResolvedWhenTrainingStarts) {
  const auto defaults = read_train_config(YAML::Load("{}")).train;
  EXPECT_EQ(defaults.device, "auto");
  EXPECT_EQ(defaults.precision, Precision::Fp32);
  EXPECT_EQ(read_train_config(YAML::Load("train: {device: 'cuda:1', precision: bf16}")).train.precision,
            Precision::Bf16);
  EXPECT_EQ(config_error("train: {device: gpu}"), "train.device: 'gpu' is not one of auto, cpu, cuda, cuda:N");
  EXPECT_EQ(config_error("train: {precision: fp8}"), "train.precision: 'fp8' is not one of fp32, bf16, fp16");
  // fp16 reads anywhere (eval reads a GPU run's config on a CPU) and trains where autocast
  // runs float16: CUDA, and the CPU from LibTorch 2.4 on.
  const auto fp16 = read_train_config(YAML::Load("train: {device: cpu, precision: fp16}")).train;
  if (autocast_runs(c10::kCPU, c10::kHalf)) {
    EXPECT_EQ(training_device(fp16), c10::Device(c10::kCPU));
  } else {
    EXPECT_NE(testing::error_message<ConfigError>([&] { training_device(fp16); })
                  .find("train.precision: fp16 runs on a CUDA device, or on the CPU from LibTorch 2.4 on"),
              std::string::npos);
  }
  EXPECT_EQ(config_error("train: {loss_scaling: always}"), "train.loss_scaling: 'always' is not one of auto, dynamic, off");
  EXPECT_NE(config_error("train: {backoff_factor: 1}").find("train.backoff_factor"), std::string::npos);
  EXPECT_NE(config_error("guard: {max_scale_backoffs: -1}").find("guard.max_scale_backoffs"), std::string::npos);
  EXPECT_TRUE(training_device(read_train_config(YAML::Load("train: {device: cpu}")).train).is_cpu());
  if (torch::cuda::is_available()) return;
  const auto cuda = read_train_config(YAML::Load("train: {device: cuda}")).train;  // reads on any machine
  EXPECT_EQ(testing::error_message<ConfigError>([&] { training_device(cuda); }),
            "train.device: 'cuda': no GPU is usable here (LibTorch built without CUDA, or no GPU visible); use cpu or "
            "auto");
}

TEST(TrainConfig, OverridesSetNestedKeysWithYamlTypes) {
  auto root = YAML::Load("loss: {name: silog}");
  apply_override(root, "loss.reduction=sqrt");
  apply_override(root, "train.steps=7");
  apply_override(root, "data.synthetic.shadows=false");
  const auto c = read_train_config(root);
  EXPECT_EQ(c.loss.silog.reduction(), SilogReduction::Sqrt);
  EXPECT_EQ(c.train.steps, 7);
  EXPECT_FALSE(c.data.synthetic.shadows());
}

TEST(TrainConfig, MalformedOverridesAreNamed) {
  auto root = YAML::Load("loss: {name: silog}");
  const auto error = [&](const std::string& o) {
    return testing::error_message<ConfigError>([&] { apply_override(root, o); });
  };
  EXPECT_NE(error("loss.reduction").find("--set loss.reduction: expected key.path=value"), std::string::npos);
  EXPECT_NE(error("loss.name.x=1").find("'loss.name' is not a mapping"), std::string::npos);
  EXPECT_NE(error("loss..x=1").find("empty key"), std::string::npos);
  EXPECT_NE(error("loss.x=[1").find("not valid YAML"), std::string::npos);
  EXPECT_NE(error("train.steps=").find("--set train.steps=: empty value"), std::string::npos);
}

TEST(TrainConfig, ValuesOfTheWrongKindSayWhichKind) {
  EXPECT_NE(config_error("train: {steps: 16.5}").find("train.steps: cannot read '16.5': not an integer"),
            std::string::npos);
  EXPECT_NE(config_error("train: {channels_last: maybe}")
                .find("train.channels_last: 'maybe' is not one of auto, true, false"),
            std::string::npos);
  EXPECT_NE(config_error("optimizer: {lr: fast}").find("optimizer.lr: cannot read 'fast': not a number"),
            std::string::npos);
  EXPECT_NE(config_error("train: {steps: 1e30}").find("train.steps: cannot read '1e30': not an integer"),
            std::string::npos);
  // An integer written in exponent notation is that integer; then the range applies.
  EXPECT_EQ(read_train_config(YAML::Load("train: {steps: 1e3}")).train.steps, 1000);
  EXPECT_NE(config_error("train: {steps: 1e12}").find("train.steps: 1000000000000 is outside"), std::string::npos);
}

TEST(TrainConfig, LoadConfigNamesMissingAndBrokenFiles) {
  testing::TempDir dir("train_config_files");
  const auto missing = (dir / "missing.yaml").string();
  EXPECT_NE(testing::error_message<ConfigError>([&] { load_config(missing); }).find(missing + ": config file not found"),
            std::string::npos);
  const auto broken = (dir / "broken.yaml").string();
  std::ofstream(broken) << "model: [unclosed\n";
  EXPECT_NE(testing::error_message<ConfigError>([&] { load_config(broken); }).find(broken + ": not valid YAML"),
            std::string::npos);
  const auto list = (dir / "list.yaml").string();
  std::ofstream(list) << "- a\n- b\n";
  EXPECT_NE(testing::error_message<ConfigError>([&] { load_config(list); }).find("expected a mapping"),
            std::string::npos);
  EXPECT_NE(testing::error_message<ConfigError>([&] { load_config(dir.str()); })
                .find(dir.str() + ": is a directory, not a config file"),
            std::string::npos);
}

TEST(TrainConfig, ATrainingImageSideThatIsNoMultipleOf32IsNamedWhenRead) {
  EXPECT_NE(config_error("data: {synthetic: {height: 100}}")
                .find("data.synthetic.height: 100 is not a multiple of 32, which the models need (use 96 or 128)"),
            std::string::npos);
  EXPECT_NE(config_error("data: {synthetic: {width: 20}}").find("data.synthetic.width: 20 is not a multiple of 32"),
            std::string::npos);
  EXPECT_NE(config_error("data: {augment: {crop_height: 50, crop_width: 64}}")
                .find("data.augment.crop_height: 50 is not a multiple of 32, which the models need (use 32 or 64)"),
            std::string::npos);
  // A crop decides the size, whatever the scenes' size; evaluation data is resized anyway.
  EXPECT_NO_THROW(read_train_config(YAML::Load("data: {synthetic: {height: 100}, augment: {crop_height: 64}}\n"
                                               "eval: {data: {synthetic: {height: 50}}}")));
}

TEST(TrainConfig, AKeyTwiceInOneMappingIsRefusedNamingBothLines) {
  testing::TempDir dir("train_config_duplicates");
  const auto top = (dir / "top.yaml").string();
  std::ofstream(top) << "model: {width: 4}\ntrain: {steps: 3}\nmodel: {width: 8}\n";
  EXPECT_NE(testing::error_message<ConfigError>([&] { load_config(top); })
                .find(top + ": key model appears twice (lines 1 and 3)"),
            std::string::npos);
  const auto nested = (dir / "nested.yaml").string();
  std::ofstream(nested) << "data:\n  batch_size: 2\n  workers: 1\n  batch_size: 4\n";
  EXPECT_NE(testing::error_message<ConfigError>([&] { load_config(nested); })
                .find("key data.batch_size appears twice (lines 2 and 4)"),
            std::string::npos);
}

}  // namespace
}  // namespace depthguard

namespace depthguard {
namespace {

TEST(TrainConfig, EveryShippedPresetReads) {
  int presets = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(DEPTHGUARD_SOURCE_DIR) + "/configs")) {
    if (entry.path().extension() != ".yaml") continue;
    ++presets;
    EXPECT_NO_THROW(read_train_config(load_config(entry.path().string()))) << entry.path();
  }
  EXPECT_GE(presets, 4);
}

}  // namespace
}  // namespace depthguard
