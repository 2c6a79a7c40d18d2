#include "depthguard/train/checkpoint.h"

#include <sys/resource.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "data/data_test_support.h"
#include "depthguard/models/depth_model.h"
#include "depthguard/optim/optimizer.h"
#include "depthguard/runtime/atomic_file.h"
#include "test_support.h"

namespace depthguard {
namespace {

ModelOptions tiny() { return ModelOptions().width(4); }

bool same_parameters(torch::nn::Module& a, torch::nn::Module& b) {
  const auto pb = b.named_parameters();
  for (const auto& p : a.named_parameters()) {
    if (!torch::equal(p.value(), pb[p.key()])) return false;
  }
  for (const auto& p : a.named_buffers()) {
    if (!torch::equal(p.value(), b.named_buffers()[p.key()])) return false;
  }
  return true;
}

// One optimiser step so that the optimiser has state and BN running stats have moved.
void train_one_step(DepthModel& model, torch::optim::Optimizer& optimizer) {
  optimizer.zero_grad();
  model->forward(torch::randn({2, 3, 32, 32})).pow(2).mean().backward();
  optimizer.step();
}

TEST(Checkpoint, RoundTripsModelOptimizerGeneratorAndState) {
  testing::TempDir dir("ckpt_roundtrip");
  torch::manual_seed(0);
  DepthModel model(tiny());
  auto optimizer = make_optimizer(OptimizerOptions(), *model);
  train_one_step(model, *optimizer);
  TrainState state;
  state.step = 12;
  state.epoch = 2;
  state.batch_in_epoch = 3;
  state.best_metric = 0.25;
  state.best_step = 10;
  state.config_yaml = "model: {width: 4}\n";
  const auto path = (dir / "c.pt").string();
  save_checkpoint(path, *model, optimizer.get(), state);
  const auto next_random = torch::rand({4});

  torch::manual_seed(99);
  DepthModel back(tiny());
  auto back_optimizer = make_optimizer(OptimizerOptions(), *back);
  const auto loaded = load_checkpoint(path, *back, back_optimizer.get());
  EXPECT_EQ(loaded.step, 12);
  EXPECT_EQ(loaded.epoch, 2);
  EXPECT_EQ(loaded.batch_in_epoch, 3);
  EXPECT_EQ(loaded.best_metric, 0.25);
  EXPECT_EQ(loaded.best_step, 10);
  EXPECT_EQ(loaded.config_yaml, state.config_yaml);
  EXPECT_TRUE(same_parameters(*model, *back));
  EXPECT_TRUE(torch::equal(torch::rand({4}), next_random));  // the generator continues

  // The same next step from both: the optimiser state came back too.
  torch::manual_seed(5);
  train_one_step(model, *optimizer);
  torch::manual_seed(5);
  train_one_step(back, *back_optimizer);
  EXPECT_TRUE(same_parameters(*model, *back));
}

// Saves `model` to `path` as step `step`; returns the file's size.
uintmax_t save_at_step(const std::string& path, DepthModel& model, int64_t step) {
  TrainState state;
  state.step = step;
  save_checkpoint(path, *model, nullptr, state);
  return std::filesystem::file_size(path);
}

TEST(Checkpoint, RefusesToWriteNonFiniteWeightsAndKeepsThePreviousFile) {
  testing::TempDir dir("ckpt_nonfinite");
  DepthModel model(tiny());
  const auto path = (dir / "c.pt").string();
  save_at_step(path, model, 1);
  TrainState state;
  {
    torch::NoGradGuard no_grad;
    model->named_parameters()["encoder.layer1.0.conv1.weight"].view(-1)[3] = NAN;
  }
  state.step = 2;
  const auto message = testing::error_message<std::runtime_error>([&] { save_checkpoint(path, *model, nullptr, state); });
  EXPECT_NE(message.find("refusing to write a checkpoint: parameter encoder.layer1.0.conv1.weight: 1 NaN"),
            std::string::npos)
      << message;
  EXPECT_EQ(read_checkpoint_state(path).step, 1);
}

TEST(Checkpoint, MissingCorruptAndMismatchedFilesAreNamed) {
  testing::TempDir dir("ckpt_errors");
  DepthModel model(tiny());
  const auto missing = (dir / "nope.pt").string();
  EXPECT_NE(testing::error_message<std::runtime_error>([&] { load_checkpoint(missing, *model, nullptr); })
                .find(missing + ": checkpoint not found"),
            std::string::npos);
  const auto garbage = (dir / "garbage.pt").string();
  std::ofstream(garbage) << "not a checkpoint";
  EXPECT_NE(testing::error_message<std::runtime_error>([&] { load_checkpoint(garbage, *model, nullptr); })
                .find(garbage + ": not a readable depthguard checkpoint"),
            std::string::npos);
  const auto good = (dir / "good.pt").string();
  save_checkpoint(good, *model, nullptr, TrainState());
  DepthModel wider(ModelOptions().width(8));
  const auto mismatch = testing::error_message<std::runtime_error>([&] { load_checkpoint(good, *wider, nullptr); });
  EXPECT_NE(mismatch.find(good + ": does not match this model"), std::string::npos) << mismatch;
}

// LibTorch's zip reader does not check CRCs: before checkpoints were sealed, one flipped bit
// in a weight loaded silently as another number.
TEST(Checkpoint, AFlippedBitInAWeightIsRefusedAsDamage) {
  testing::TempDir dir("ckpt_damaged");
  DepthModel model(tiny());
  auto weight = model->named_parameters().begin()->value();
  {
    torch::NoGradGuard no_grad;
    weight.fill_(0.123456f);
  }
  const auto path = (dir / "c.pt").string();
  save_checkpoint(path, *model, nullptr, TrainState());
  auto bytes = testing::file_content(path);
  const float marker = 0.123456f;
  const auto at = bytes.find(std::string(reinterpret_cast<const char*>(&marker), sizeof marker));
  ASSERT_NE(at, std::string::npos);
  bytes[at] = static_cast<char>(bytes[at] ^ 1);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  const auto error = testing::error_message<std::runtime_error>([&] { load_checkpoint(path, *model, nullptr); });
  EXPECT_EQ(error, path + ": not a readable depthguard checkpoint: its content does not match its checksum (the file "
                          "is damaged)");
}

// Checkpoints written before the seal (the archive alone) still load.
TEST(Checkpoint, AnUnsealedCheckpointFromAnEarlierVersionLoads) {
  testing::TempDir dir("ckpt_unsealed");
  DepthModel model(tiny());
  TrainState state;
  state.step = 5;
  const auto path = (dir / "old.pt").string();
  std::ofstream(path, std::ios::binary) << checkpoint_bytes(*model, nullptr, state);
  DepthModel back(tiny());
  EXPECT_EQ(load_checkpoint(path, *back, nullptr).step, 5);
  EXPECT_TRUE(same_parameters(*model, *back));
}

// The file-size limit makes the kernel stop the writer inside write(2): with SIGXFSZ's
// default action the process dies there (a real kill mid-write); with it ignored, write(2)
// fails with EFBIG, as it fails with ENOSPC on a full disk.
void limit_file_size(rlim_t bytes) {
  const rlimit limit{bytes, bytes};
  setrlimit(RLIMIT_FSIZE, &limit);
}

TEST(CheckpointDeathTest, AWriteKilledMidwayLeavesThePreviousCheckpointLoadable) {
  testing::TempDir dir("ckpt_killed");
  torch::manual_seed(0);
  DepthModel model(tiny());
  const auto path = (dir / "last.pt").string();
  const auto size = save_at_step(path, model, 7);

  EXPECT_EXIT(
      {
        DepthModel other(tiny());
        TrainState next;
        next.step = 8;
        limit_file_size(size / 2);
        save_checkpoint(path, *other, nullptr, next);
      },
      ::testing::KilledBySignal(SIGXFSZ), "");

  DepthModel back(tiny());
  EXPECT_EQ(load_checkpoint(path, *back, nullptr).step, 7);
  EXPECT_TRUE(same_parameters(*model, *back));
  EXPECT_EQ(remove_stale_temporaries(dir.str()), 1);  // the half-written temporary file
  EXPECT_EQ(remove_stale_temporaries(dir.str()), 0);
  EXPECT_TRUE(std::filesystem::exists(path));
}

TEST(CheckpointDeathTest, AFailedWriteIsAnErrorNamingTheFileAndKeepsThePreviousOne) {
  testing::TempDir dir("ckpt_full");
  DepthModel model(tiny());
  const auto path = (dir / "last.pt").string();
  const auto size = save_at_step(path, model, 7);
  EXPECT_EXIT(
      {
        std::signal(SIGXFSZ, SIG_IGN);
        limit_file_size(size / 2);
        TrainState next;
        next.step = 8;
        try {
          save_checkpoint(path, *model, nullptr, next);
        } catch (const std::runtime_error& e) {
          const bool named = std::string(e.what()).find(path + ": cannot write (File too large)") != std::string::npos;
          const bool cleaned = !std::filesystem::exists(dir / ".last.pt.tmp.pt");
          std::exit(named && cleaned ? 42 : 1);
        }
        std::exit(2);
      },
      ::testing::ExitedWithCode(42), "");
  EXPECT_EQ(read_checkpoint_state(path).step, 7);
}

}  // namespace
}  // namespace depthguard
