// Dynamic loss scaling inside the trainer (train.loss_scaling), on the CPU in float32 with
// a scale so large that the scaled loss overflows: the overflows are routine, logged and
// counted, the scale backs off until the step fits, and it is kept in checkpoints.
#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>
#include <torch/version.h>

#include "data/data_test_support.h"
#include "depthguard/config/train_config.h"
#include "depthguard/core/errors.h"
#include "depthguard/runtime/autocast.h"
#include "depthguard/train/checkpoint.h"
#include "depthguard/train/trainer.h"
#include "test_support.h"
#include "train/tiny_run.h"

namespace depthguard {
namespace {

namespace fs = std::filesystem;
using testing::quiet;

YAML::Node scaled_run(int64_t steps, double init_scale) {
  auto root = testing::tiny_run(steps);
  root["train"]["loss_scaling"] = "dynamic";
  root["train"]["init_scale"] = init_scale;
  return root;
}

std::vector<nlohmann::json> lines_with(const fs::path& run, const std::string& key) {
  std::ifstream in(run / "metrics.jsonl");
  std::vector<nlohmann::json> found;
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line);
    if (j.contains(key)) found.push_back(j);
  }
  return found;
}

nlohmann::json summary_of(const fs::path& run) { return nlohmann::json::parse(std::ifstream(run / "summary.json")); }

// The run had one non-finite event, the injected one.
void expect_only_the_injected_event(const fs::path& run, const TrainSummary& s) {
  EXPECT_EQ(s.nonfinite_steps, 1);
  const auto events = lines_with(run, "nonfinite");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["nonfinite"]["cause"], "injected");
}

TEST(TrainerLossScale, OverflowsOfAHugeScaleAreRoutineAndTheScaleBacksOffUntilTheStepFits) {
  testing::TempDir dir("loss_scale_overflow");
  const auto s = train(read_train_config(scaled_run(4, 1e38)), quiet(dir.str()));
  EXPECT_EQ(s.steps, 4);
  EXPECT_EQ(s.nonfinite_steps, 0);
  const auto overflows = lines_with(dir.str(), "loss_scale_overflow");
  ASSERT_FALSE(overflows.empty());
  for (size_t i = 0; i < overflows.size(); ++i) {
    EXPECT_EQ(overflows[i]["step"], 0) << "the first step is retried until its scaled loss fits";
    EXPECT_EQ(overflows[i]["loss_scale_overflow"]["in_a_row"], static_cast<int64_t>(i + 1));
    // Halved at each overflow, in float32 (1e38 itself is not a float32).
    EXPECT_FLOAT_EQ(overflows[i]["loss_scale_overflow"]["scale"].get<float>(),
                    1e38f * static_cast<float>(std::pow(0.5, i + 1)))
        << i;
  }
  EXPECT_TRUE(lines_with(dir.str(), "nonfinite").empty());
  const auto summary = summary_of(dir.str());
  EXPECT_EQ(summary["loss_scale_overflows"], overflows.size());
  EXPECT_EQ(summary["nonfinite_steps"], 0);
  const auto logged = lines_with(dir.str(), "loss_scale");
  ASSERT_EQ(logged.size(), 4u);
  EXPECT_LT(logged.back()["loss_scale"].get<double>(), 1e38);
  EXPECT_EQ(read_checkpoint_state(last_checkpoint(dir.str())).loss_scale, summary["loss_scale"].get<double>());
}

TEST(TrainerLossScale, AResumedRunContinuesTheScaleAndItsCount) {
  testing::TempDir dir("loss_scale_resume");
  auto root = scaled_run(3, 1);
  root["train"]["growth_interval"] = 1;  // doubles after every good step: 2, 4, 8, ...
  train(read_train_config(root), quiet(dir.str()));
  EXPECT_EQ(read_checkpoint_state(last_checkpoint(dir.str())).loss_scale, 8.0);
  root["train"]["steps"] = 5;
  auto resume = quiet(dir.str());
  resume.resume = true;
  train(read_train_config(root), resume);
  EXPECT_EQ(summary_of(dir.str())["loss_scale"], 32.0);
}

TEST(TrainerLossScale, AnInjectedNanIsAnEventNotAnOverflow) {
  testing::TempDir dir("loss_scale_injected");
  auto root = scaled_run(4, 1024);
  root["guard"]["inject"] = "gradient";
  root["guard"]["inject_step"] = 1;
  const auto s = train(read_train_config(root), quiet(dir.str()));
  expect_only_the_injected_event(dir.str(), s);
  EXPECT_TRUE(lines_with(dir.str(), "loss_scale_overflow").empty());
  EXPECT_EQ(summary_of(dir.str())["loss_scale"], 1024.0);  // an event is no reason to back off
}

// The injected event is skipped and the step run again on the next batch, whose scaled
// gradients overflow for real (the scale is still 1e38): routine back-offs, not a second event.
TEST(TrainerLossScale, AnOverflowOnTheRetryOfAnInjectedStepIsRoutine) {
  testing::TempDir dir("loss_scale_injected_retry");
  auto root = scaled_run(3, 1e38);
  root["guard"]["inject"] = "gradient";
  root["guard"]["inject_step"] = 0;
  root["guard"]["policy"] = "skip";
  const auto s = train(read_train_config(root), quiet(dir.str()));
  EXPECT_EQ(s.steps, 3);
  expect_only_the_injected_event(dir.str(), s);
  const auto overflows = lines_with(dir.str(), "loss_scale_overflow");
  ASSERT_FALSE(overflows.empty());
  EXPECT_EQ(overflows.front()["step"], 0);
}

TEST(TrainerLossScale, AScaleBelowTheFloorHaltsUnderHalt) {
  testing::TempDir dir("loss_scale_floor");
  auto root = scaled_run(4, 1e38);
  root["guard"]["min_loss_scale"] = 1e38;
  root["guard"]["policy"] = "halt";
  const auto message = testing::error_message<NonFiniteHalt>([&] { train(read_train_config(root), quiet(dir.str())); });
  EXPECT_NE(message.find("step 0: non-finite gradient"), std::string::npos) << message;
}

// fp16 where it runs: a few steps train with the scale on, and an injected NaN under fp16
// is an event, not an overflow.
void expect_fp16_trains_and_an_injected_nan_is_an_event(const std::string& device) {
  testing::TempDir dir("loss_scale_fp16_" + device);
  auto root = testing::tiny_run(4);
  root["train"]["device"] = device;
  root["train"]["precision"] = "fp16";
  root["guard"]["inject"] = "gradient";
  root["guard"]["inject_step"] = 2;
  const auto s = train(read_train_config(root), quiet(dir.str()));
  EXPECT_EQ(s.steps, 4);
  expect_only_the_injected_event(dir.str(), s);
  const auto summary = summary_of(dir.str());
  EXPECT_EQ(summary["precision"], "fp16");
  EXPECT_GT(summary["loss_scale"].get<double>(), 0);
}

TEST(TrainerLossScale, Fp16TrainsOnTheCpuAndAnInjectedNanIsStillAnEvent) {
  if (!autocast_runs(torch::kCPU, torch::kHalf)) GTEST_SKIP() << "LibTorch " << TORCH_VERSION << ": no CPU float16 autocast";
  expect_fp16_trains_and_an_injected_nan_is_an_event("cpu");
}

TEST(TrainerLossScale, Fp16TrainsOnCudaAndAnInjectedNanIsStillAnEvent) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  expect_fp16_trains_and_an_injected_nan_is_an_event("cuda");
}

TEST(TrainerLossScale, Fp16IsRefusedWhereAutocastHasNoFloat16NamingTheKey) {
  if (autocast_runs(torch::kCPU, torch::kHalf)) GTEST_SKIP() << "LibTorch " << TORCH_VERSION << " runs float16 on the CPU";
  testing::TempDir dir("loss_scale_fp16_cpu");
  auto root = testing::tiny_run(1);
  root["train"]["device"] = "cpu";
  root["train"]["precision"] = "fp16";
  const auto config = read_train_config(root);
  EXPECT_TRUE(uses_loss_scaling(config.train));
  const auto message = testing::error_message<ConfigError>([&] { train(config, quiet(dir.str())); });
  EXPECT_NE(message.find("train.precision: fp16 runs on a CUDA device, or on the CPU from LibTorch 2.4 on"),
            std::string::npos)
      << message;
}

}  // namespace
}  // namespace depthguard
