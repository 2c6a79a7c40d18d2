#include "depthguard/train/trainer.h"

#include <cmath>
#include <cstdlib>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>
#include <torch/serialize.h>

#include "data/data_test_support.h"
#include "depthguard/config/data_config.h"
#include "depthguard/config/train_config.h"
#include "depthguard/core/errors.h"
#include "depthguard/models/depth_model.h"
#include "depthguard/optim/optimizer.h"
#include "depthguard/runtime/atomic_file.h"
#include "depthguard/runtime/cpu_kernels.h"
#include "depthguard/runtime/interrupt.h"
#include "depthguard/train/checkpoint.h"
#include "depthguard/train/evaluator.h"
#include "depthguard/train/saved_model.h"
#include "python_support.h"
#include "test_support.h"
#include "train/tiny_run.h"

namespace depthguard {
namespace {

size_t lines_in(const std::string& path) {
  std::ifstream in(path);
  return static_cast<size_t>(std::count(std::istreambuf_iterator<char>(in), {}, '\n'));
}

using testing::logged_losses;
using testing::quiet;

TEST(Trainer, ATinyModelOverfitsAFixedTinyBatch) {
  testing::TempDir dir("trainer_overfit");
  auto root = testing::tiny_run(150);
  root["model"]["width"] = 8;
  root["data"]["synthetic"]["count"] = 2;  // one batch, the same two images every step
  root["optimizer"]["lr"] = 0.01;
  root["schedule"]["name"] = "constant";
  const auto s = train(read_train_config(root), quiet(dir.str()));
  const auto losses = logged_losses(dir.str());
  ASSERT_EQ(losses.size(), 150u);
  const double first = losses.front();
  const double last = (losses[147] + losses[148] + losses[149]) / 3;
  EXPECT_LT(last, first / 5) << "first " << first << " last " << last;
  EXPECT_EQ(s.steps, 150);
}

TEST(Trainer, SameSeedGivesBitIdenticalLosses) {
  testing::TempDir a("trainer_det_a"), b("trainer_det_b");
  const auto config = read_train_config(testing::tiny_run(6));
  train(config, quiet(a.str()));
  train(config, quiet(b.str()));
  const auto la = logged_losses(a.str()), lb = logged_losses(b.str());
  ASSERT_EQ(la.size(), 6u);
  EXPECT_EQ(la, lb);  // exact: JSON keeps every bit of a double
}

TEST(Trainer, WritesTheRunDirectoryLayout) {
  testing::TempDir dir("trainer_layout");
  const auto s = train(read_train_config(testing::tiny_run(3)), quiet(dir.str()));
  for (const char* file : {"config.yaml", "metrics.jsonl", "summary.json", "checkpoints/last.pt", "checkpoints/best.pt"}) {
    EXPECT_TRUE(std::filesystem::exists(dir / file)) << file;
  }
  ASSERT_TRUE(s.final_eval.has_value());
  EXPECT_GT(s.final_eval->d3, 0.0);
  EXPECT_EQ(s.best_step, 3);
  // The saved configuration is complete: reading it back gives the same resolved config.
  const auto saved = load_config((dir / "config.yaml").string());
  EXPECT_EQ(YAML::Dump(read_train_config(saved).resolved), YAML::Dump(saved));
  const auto summary = nlohmann::json::parse(std::ifstream(dir / "summary.json"));
  EXPECT_EQ(summary["steps"], 3);
}

TEST(Trainer, TheSavedModelEvaluatesExactlyAsTheRunDid) {
  testing::TempDir dir("trainer_saved_model_eval");
  const auto config = read_train_config(testing::tiny_run(3));
  ASSERT_FALSE(config.train.channels_last.has_value());  // the default: auto
  const auto s = train(config, quiet(dir.str()));
  auto model = load_model(last_checkpoint(dir.str()), config.model, config.train.channels_last);
  const auto layout = use_channels_last(std::nullopt, torch::kCPU) ? torch::MemoryFormat::ChannelsLast
                                                                   : torch::MemoryFormat::Contiguous;
  EXPECT_TRUE(model->named_parameters()["last_layer_depth.0.weight"].is_contiguous(layout));
  const auto data = make_dataset(config.eval.data);
  const auto m = *evaluate_model(model, *data, {config.eval.height, config.eval.width}, config.eval.metrics).mean();
  ASSERT_TRUE(s.final_eval.has_value());
  EXPECT_EQ(m.abs_rel, s.final_eval->abs_rel);
  EXPECT_EQ(m.rmse, s.final_eval->rmse);
}

// bf16 runs the forward pass under autocast: the losses stay finite and close to fp32's
// but are not fp32's (the bfloat16 convolutions round), and the run says what it ran.
TEST(Trainer, Bf16PrecisionTrainsUnderAutocastAndSaysSo) {
  testing::TempDir fp32("trainer_fp32"), bf16("trainer_bf16");
  auto root = testing::tiny_run(4);
  train(read_train_config(root), quiet(fp32.str()));
  root["train"]["precision"] = "bf16";
  train(read_train_config(root), quiet(bf16.str()));
  const auto a = logged_losses(fp32.str()), b = logged_losses(bf16.str());
  ASSERT_EQ(b.size(), 4u);
  EXPECT_NE(a, b);
  for (size_t i = 0; i < b.size(); ++i) {
    EXPECT_TRUE(std::isfinite(b[i]));
    EXPECT_NEAR(b[i], a[i], 0.1 * std::abs(a[i])) << "step " << i + 1;
  }
  const auto summary = nlohmann::json::parse(testing::file_content(bf16 / "summary.json"));
  EXPECT_EQ(summary["precision"], "bf16");
  EXPECT_EQ(summary["device"], torch::cuda::is_available() ? "cuda:0" : "cpu");  // train.device: auto
}

TEST(Trainer, ACudaRunResumesAndEvaluatesOnTheCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  testing::TempDir dir("trainer_cuda");
  auto root = testing::tiny_run(2);
  root["train"]["device"] = "cuda";
  train(read_train_config(root), quiet(dir.str()));
  const auto config = read_train_config(root);
  auto model = load_model(last_checkpoint(dir.str()), config.model, config.train.channels_last);
  EXPECT_TRUE(model->parameters().front().device().is_cpu());
  root["train"]["device"] = "cpu";
  root["train"]["steps"] = 3;
  auto options = quiet(dir.str());
  options.resume = true;
  EXPECT_EQ(train(read_train_config(root), options).steps, 3);
}

TEST(Trainer, NoValidEvaluationGroundTruthGivesNoMetricsNotZeros) {
  testing::TempDir dir("trainer_no_eval_gt");
  auto root = testing::tiny_run(2);
  root["eval"]["min_depth"] = 50.0;  // the synthetic rooms are under 10 m: nothing valid
  root["eval"]["max_depth"] = 60.0;
  const auto s = train(read_train_config(root), quiet(dir.str()));
  EXPECT_FALSE(s.final_eval.has_value());
  EXPECT_FALSE(std::filesystem::exists(dir / "checkpoints" / "best.pt"));
  EXPECT_TRUE(std::filesystem::exists(dir / "checkpoints" / "last.pt"));
  const auto summary = nlohmann::json::parse(std::ifstream(dir / "summary.json"));
  EXPECT_TRUE(summary["final_eval"].is_null());
  EXPECT_TRUE(summary["best_abs_rel"].is_null());
  EXPECT_EQ(summary["best_step"], -1);
  std::ifstream in(dir / "metrics.jsonl");
  std::string line, last_eval;
  while (std::getline(in, line)) {
    if (line.find("\"eval\"") != std::string::npos) last_eval = line;
  }
  const auto eval = nlohmann::json::parse(last_eval);
  EXPECT_TRUE(eval["eval"].is_null()) << last_eval;
  EXPECT_EQ(eval["images"], 0);
}

TEST(Trainer, TrainingDataWithoutAnyValidPixelStops) {
  testing::TempDir dir("trainer_no_train_gt");
  auto root = testing::tiny_run(20);
  root["loss"]["max_depth"] = 0.001;  // every synthetic depth is beyond it
  try {
    train(read_train_config(root), quiet(dir.str()));
    FAIL() << "trained on nothing";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no valid ground-truth pixel in the first 3 batch(es)"), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "checkpoints" / "last.pt"));
}

// However short the run: one that never sees a valid pixel ends with the error, not with 2
// "trained" steps on a loss of 0 (weight decay alone moving the weights) and exit 0.
TEST(Trainer, AShortRunWithoutAnyValidPixelStopsToo) {
  testing::TempDir dir("trainer_no_gt_short");
  auto root = testing::tiny_run(2);
  root["loss"]["max_depth"] = 0.001;
  EXPECT_NE(testing::error_message<std::runtime_error>([&] { train(read_train_config(root), quiet(dir.str())); })
                .find("no valid ground-truth pixel in the first 3 batch(es)"),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir / "checkpoints" / "last.pt"));
  EXPECT_FALSE(std::filesystem::exists(dir / "summary.json"));
}

// LiDAR-like ground truth, one image per batch: about one valid pixel per 32x64 image, so
// some batches have none. Those are dropped and counted, never steps.
TEST(Trainer, ABatchWithoutAValidPixelIsNotAStep) {
  testing::TempDir dir("trainer_empty_batches");
  auto root = testing::tiny_run(8);
  root["data"]["batch_size"] = 1;
  root["data"]["synthetic"]["count"] = 12;
  root["data"]["synthetic"]["sparsity"] = "random";
  root["data"]["synthetic"]["valid_fraction"] = 1.0 / 2048;
  const auto s = train(read_train_config(root), quiet(dir.str()));
  EXPECT_EQ(s.steps, 8);
  EXPECT_GT(s.batches_without_ground_truth, 0);
  const auto summary = nlohmann::json::parse(std::ifstream(dir / "summary.json"));
  EXPECT_EQ(summary["batches_without_ground_truth"], s.batches_without_ground_truth);
  EXPECT_EQ(logged_losses(dir.str()).size(), 8u);
  for (const double loss : logged_losses(dir.str())) EXPECT_GT(loss, 0.0);  // no step on a loss of exactly 0
}

// Weights handed to training must be finite, as predict's must: refused before step 1,
// naming the tensor, the run's files untouched.
TEST(Trainer, RefusesNonFiniteWeightsToInitOrResumeFromBeforeStepOne) {
  testing::TempDir run("trainer_nan_resume"), fresh("trainer_nan_init");
  const auto config = read_train_config(testing::tiny_run(2));
  train(config, quiet(run.str()));
  // A last.pt holding a NaN weight, written unsealed (as checkpoints from before checksums:
  // save_checkpoint itself refuses non-finite weights).
  const auto last = (run / "checkpoints" / "last.pt").string();
  DepthModel model(config.model);
  auto optimizer = make_optimizer(config.optimizer, *model);
  const auto state = load_checkpoint(last, *model, optimizer.get());
  {
    torch::NoGradGuard no_grad;
    auto first = model->named_parameters()[0].value();  // its first value, whatever its layout
    while (first.dim() > 0) first = first[0];
    first.fill_(std::nan(""));
  }
  write_file_atomically(last, checkpoint_bytes(*model, optimizer.get(), state));
  const auto last_bytes = read_whole_file(last);
  const auto metrics_lines = lines_in((run / "metrics.jsonl").string());
  const auto nan_weight = "parameter " + model->named_parameters()[0].key() + ": 1 NaN";

  auto resume = quiet(run.str());
  resume.resume = true;
  const auto refused = testing::error_message<std::runtime_error>(
      [&] { train(read_train_config(testing::tiny_run(4)), resume); });
  EXPECT_NE(refused.find(last + ": refusing to resume training from non-finite weights: " + nan_weight),
            std::string::npos) << refused;
  EXPECT_EQ(read_whole_file(last), last_bytes);
  EXPECT_EQ(lines_in((run / "metrics.jsonl").string()), metrics_lines);

  auto init = quiet(fresh.str());
  init.init = last;
  const auto refused_init = testing::error_message<std::runtime_error>([&] { train(config, init); });
  EXPECT_NE(refused_init.find(last + ": refusing to initialise training from non-finite weights: " + nan_weight),
            std::string::npos) << refused_init;
  EXPECT_FALSE(std::filesystem::exists(fresh / "checkpoints"));
}

TEST(Trainer, InitStartsFromACheckpointsWeights) {
  testing::TempDir first("trainer_init_a"), second("trainer_init_b");
  train(read_train_config(testing::tiny_run(3)), quiet(first.str()));
  auto root = testing::tiny_run(1);
  root["optimizer"]["lr"] = 0.0;  // no update: the weights stay the initial ones
  auto options = quiet(second.str());
  options.init = last_checkpoint(first.str());
  train(read_train_config(root), options);
  DepthModel a(ModelOptions().width(4)), b(ModelOptions().width(4));
  load_checkpoint(last_checkpoint(first.str()), *a, nullptr);
  load_checkpoint(last_checkpoint(second.str()), *b, nullptr);
  const auto pb = b->named_parameters();
  for (const auto& p : a->named_parameters()) EXPECT_TRUE(torch::equal(p.value(), pb[p.key()])) << p.key();
}

TEST(Trainer, RefusesToOverwriteARunAndToResumeNothing) {
  testing::TempDir dir("trainer_refuse");
  const auto config = read_train_config(testing::tiny_run(1));
  train(config, quiet(dir.str()));
  EXPECT_NE(testing::error_message<std::runtime_error>([&] { train(config, quiet(dir.str())); })
                .find("already holds a run"),
            std::string::npos);
  testing::TempDir empty("trainer_refuse_empty");
  auto resume = quiet(empty.str());
  resume.resume = true;
  EXPECT_NE(testing::error_message<std::runtime_error>([&] { train(config, resume); }).find("nothing to resume"),
            std::string::npos);
}

TEST(Trainer, InterruptedAndResumedRunRepeatsTheUninterruptedLosses) {
  testing::TempDir straight("trainer_straight"), split("trainer_split");
  const auto config = read_train_config(testing::tiny_run(16));
  train(config, quiet(straight.str()));

  // Ctrl-C arrives while the run is at its third step or later.
  const auto metrics = (split / "metrics.jsonl").string();
  std::thread interrupter([&] {
    while (lines_in(metrics) < 3) std::this_thread::sleep_for(std::chrono::microseconds(200));
    std::raise(SIGINT);
  });
  EXPECT_THROW(train(config, quiet(split.str())), Interrupted);
  interrupter.join();
  const auto stopped_at = logged_losses(split.str()).size();
  EXPECT_LT(stopped_at, 16u);

  auto resume = quiet(split.str());
  resume.resume = true;
  train(config, resume);
  EXPECT_EQ(logged_losses(split.str()), logged_losses(straight.str())) << "interrupted after " << stopped_at;
}

// MIM's model through the trainer: a SwinV2 small enough for this machine (set on the
// config directly: the YAML keys take the published sizes), with stochastic depth drawing
// from the generator a checkpoint keeps.
TrainConfig swin_run(int64_t steps) {
  auto root = testing::tiny_run(steps);
  root["model"] = YAML::Load("{arch: swinv2-mim, window_size: 2, drop_path_rate: 0.3}");
  root["schedule"]["name"] = "constant";  // the same rates whatever the length, so runs can be extended
  auto config = read_train_config(root);
  config.model.swin(config.model.swin().embed_dim(8).depths({1, 1, 2, 1}).heads({1, 1, 2, 2}));
  return config;
}

std::vector<torch::Tensor> checkpoint_weights(const TrainConfig& config, const std::string& run) {
  DepthModel model(config.model);
  load_checkpoint(last_checkpoint(run), *model, nullptr);
  return model->parameters();
}

TEST(Trainer, SwinV2MimTrainsAndAResumedRunEndsWhereAStraightOneDoes) {
  testing::TempDir straight("trainer_swin_straight"), split("trainer_swin_split");
  train(swin_run(4), quiet(straight.str()));
  train(swin_run(2), quiet(split.str()));
  auto resume = quiet(split.str());
  resume.resume = true;
  train(swin_run(4), resume);
  const auto a = checkpoint_weights(swin_run(4), straight.str()), b = checkpoint_weights(swin_run(4), split.str());
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << i;
  EXPECT_EQ(logged_losses(split.str()), logged_losses(straight.str()));
}

// --init FILE.pth: a PyTorch state dict (scripts/convert_weights.py's output) by name.
TEST(Trainer, InitFromAPyTorchStateDictLoadsItsWeightsByName) {
  testing::TempDir dir("trainer_init_pth");
  auto config = swin_run(1);
  config.optimizer.lr(0);  // the step changes no weight: the checkpoint shows what was loaded
  torch::manual_seed(11);
  DepthModel source(config.model);
  c10::impl::GenericDict dict(c10::StringType::get(), c10::TensorType::get());
  for (const auto& p : source->named_parameters()) dict.insert(p.key(), p.value().detach());
  const auto bytes = torch::pickle_save(c10::IValue(dict));
  std::ofstream((dir / "weights.pth").string(), std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  auto options = quiet((dir / "run").string());
  options.init = (dir / "weights.pth").string();
  train(config, options);
  const auto loaded = checkpoint_weights(config, (dir / "run").string());
  const auto expected = source->parameters();
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_TRUE(torch::equal(loaded[i], expected[i])) << i;
}

// A state dict timm's own SwinV2 saved (torch.save(model.state_dict()), a classifier included),
// through scripts/convert_weights.py, starts a run: every encoder weight is timm's.
TEST(Trainer, InitFromTimmsOwnSwinV2StateDict) {
  DEPTHGUARD_REQUIRE_PYTHON("timm, torch");
  testing::TempDir dir("trainer_init_timm");
  const auto timm_file = (dir / "timm.pth").string(), converted = (dir / "init.pth").string();
  const auto save = testing::python_command(
      "-c 'import torch; from timm.models.swin_transformer_v2 import SwinTransformerV2 as S; torch.manual_seed(5); "
      "m = S(img_size=(32, 64), embed_dim=8, depths=(1, 1, 2, 1), num_heads=(1, 1, 2, 2), window_size=2, "
      "num_classes=10); torch.save(m.state_dict(), \"" + timm_file + "\")'");
  ASSERT_EQ(std::system(save.c_str()), 0) << save;
  const auto convert = testing::python_command(DEPTHGUARD_SOURCE_DIR "/scripts/convert_weights.py " + timm_file + " " +
                                               converted + " >/dev/null");
  ASSERT_EQ(std::system(convert.c_str()), 0) << convert;
  auto config = swin_run(1);
  config.optimizer.lr(0);
  auto options = quiet((dir / "run").string());
  options.init = converted;
  train(config, options);
  const auto bytes = testing::file_content(converted);
  const auto weights = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end())).toGenericDict();
  DepthModel model(config.model);
  load_checkpoint(last_checkpoint((dir / "run").string()), *model, nullptr);
  int64_t compared = 0;
  for (const auto& p : model->named_parameters()) {
    if (p.key().rfind("encoder.", 0) != 0) continue;
    ASSERT_TRUE(weights.contains(p.key())) << p.key() << " is not in the converted timm state dict";
    EXPECT_TRUE(torch::equal(p.value(), weights.at(p.key()).toTensor())) << p.key();
    ++compared;
  }
  EXPECT_GT(compared, 20);
}

TEST(Trainer, ProfileWritesTheTopOperatorsAndATraceWithoutChangingTheRun) {
  testing::TempDir plain("trainer_unprofiled"), profiled("trainer_profiled");
  const auto config = read_train_config(testing::tiny_run(4));
  train(config, testing::quiet(plain.str()));
  auto options = testing::quiet(profiled.str());
  options.profile_steps = 2;
  train(config, options);
  EXPECT_EQ(logged_losses(plain.str()), logged_losses(profiled.str()));
  const auto table = testing::file_content(profiled / "profile" / "operators.txt");
  EXPECT_NE(table.find("aten::"), std::string::npos) << table;
  EXPECT_NE(table.find("ConvolutionBackward0"), std::string::npos) << table;
  EXPECT_NE(table.find("per step over 2 step(s)"), std::string::npos) << table;
  const auto trace = nlohmann::json::parse(std::ifstream(profiled / "profile" / "trace.json"));
  EXPECT_GT(trace["traceEvents"].size(), 100u);
}

TEST(Trainer, ProfileOfMoreStepsThanTheRunHasWritesWhatRan) {
  testing::TempDir dir("trainer_profile_short");
  auto options = testing::quiet(dir.str());
  options.profile_steps = 50;
  train(read_train_config(testing::tiny_run(3)), options);
  const auto table = testing::file_content(dir / "profile" / "operators.txt");
  EXPECT_NE(table.find("per step over 2 step(s)"), std::string::npos) << table;  // steps 2 and 3
}

}  // namespace
}  // namespace depthguard
