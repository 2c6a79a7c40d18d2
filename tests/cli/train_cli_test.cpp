// train, eval and predict run as a user runs them, on a tiny synthetic run.
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "cli/cli_run.h"
#include "depthguard/config/train_config.h"
#include "depthguard/data/image_io.h"
#include "depthguard/train/checkpoint.h"
#include "depthguard/train/saved_model.h"
#include "depthguard/runtime/directory_lock.h"
#include "data/data_test_support.h"
#include "test_support.h"
#include "test_paths.h"
#include "train/tiny_run.h"

namespace depthguard {
namespace {

class TrainCli : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir / "tiny.yaml") << testing::tiny_run_yaml(2);
    const auto r = run_cli("--threads 1 train --no-progress --config " + (dir / "tiny.yaml").string() + " --out " +
                           run.string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  // One directory per test: ctest runs the tests of this fixture in parallel.
  testing::TempDir dir{std::string("cli_train_") + ::testing::UnitTest::GetInstance()->current_test_info()->name()};
  std::filesystem::path run = dir / "run";
  std::string checkpoint() const { return (run / "checkpoints" / "best.pt").string(); }
};

TEST_F(TrainCli, EvalPrintsAndWritesTheMetricsWithTheMedianBaseline) {
  const auto r = run_cli("eval --checkpoint " + checkpoint() + " --median-baseline");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* expected : {"abs_rel", "d1", "| model", "| median", "of the median baseline"}) {
    EXPECT_NE(r.output.find(expected), std::string::npos) << expected << "\n" << r.output;
  }
  EXPECT_TRUE(std::filesystem::exists(run / "eval.json"));
  EXPECT_TRUE(std::filesystem::exists(run / "eval.md"));
}

// A network size far beyond memory (the first feature map alone would be terabytes) is an
// error naming the options, not LibTorch's allocator message with a stack trace.
TEST_F(TrainCli, PredictAtASizeBeyondMemoryNamesHeightAndWidth) {
  const auto image = (dir / "small.png").string();
  write_rgb(image, cv::Mat(24, 32, CV_8UC3, cv::Scalar(90, 90, 90)));
  const auto r = run_cli("predict --checkpoint " + checkpoint() + " --out " + (dir / "huge").string() +
                         " --height 320000 --width 320000 " + image);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--height 320000, --width 320000 (0: the image's own size): the network input for " + image +
                          " (24x32) needs more memory than this machine can give"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("Exception raised from"), std::string::npos) << r.output;
}

TEST_F(TrainCli, PredictAcceptsAnySizeGreyscaleAndRgba) {
  const auto grey = (dir / "grey.png").string(), rgba = (dir / "rgba.png").string();
  write_image(grey, cv::Mat(37, 53, CV_8UC1, cv::Scalar(90)));
  write_image(rgba, cv::Mat(20, 90, CV_8UC4, cv::Scalar(10, 200, 30, 255)));
  const auto out = dir / "pred";
  const auto r = run_cli("predict --checkpoint " + checkpoint() + " --out " + out.string() + " " + grey + " " + rgba);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto depth = read_image((out / "grey.png").string());
  EXPECT_EQ(depth.type(), CV_16UC1);
  EXPECT_EQ(depth.size(), cv::Size(53, 37));
  double lo = 0;
  cv::minMaxLoc(depth, &lo);
  EXPECT_GT(lo, 0) << "every pixel gets a depth";
  const auto colour = read_image((out / "rgba_color.png").string());
  EXPECT_EQ(colour.type(), CV_8UC3);
  EXPECT_EQ(colour.rows, 48);  // the legend needs at least 48 rows
  EXPECT_GT(colour.cols, 90);  // picture plus legend
}

TEST_F(TrainCli, ResumeOfAFinishedRunExtendsItWithMoreSteps) {
  const auto r = run_cli("--threads 1 train --no-progress --resume --out " + run.string() + " --set train.steps=3");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("resuming"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("trained 3 steps"), std::string::npos) << r.output;
  // The summary is rewritten whole: the extended run's steps and its final evaluation.
  std::ifstream in(run / "summary.json");
  const auto summary = nlohmann::json::parse(in);
  EXPECT_EQ(summary["steps"], 3);
  EXPECT_EQ(summary["steps_this_session"], 1);
  EXPECT_TRUE(summary["final_eval"].is_object());
}

TEST_F(TrainCli, ResumeOfAFinishedRunTouchesNothingAndFewerStepsIsRefused) {
  const char* files[] = {"summary.json", "config.yaml", "metrics.jsonl", "checkpoints/last.pt"};
  std::vector<std::string> before;
  for (const char* f : files) before.push_back(testing::file_content(run / f));
  const auto again = run_cli("--threads 1 train --no-progress --resume --out " + run.string());
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("finished at step 2 of 2; nothing to do"), std::string::npos) << again.output;
  EXPECT_EQ(again.output.find("trained"), std::string::npos) << again.output;
  for (size_t i = 0; i < before.size(); ++i) EXPECT_EQ(testing::file_content(run / files[i]), before[i]) << files[i];
  const auto fewer = run_cli("--threads 1 train --no-progress --resume --out " + run.string() + " --set train.steps=1");
  EXPECT_EQ(fewer.exit_code, 2) << fewer.output;
  EXPECT_NE(fewer.output.find("the checkpoint is at step 2, beyond this run's 1 steps (train.steps)"),
            std::string::npos)
      << fewer.output;
  for (size_t i = 0; i < before.size(); ++i) EXPECT_EQ(testing::file_content(run / files[i]), before[i]) << files[i];
}

TEST_F(TrainCli, ASecondProcessOnTheSameRunIsRefusedNamingTheHolder) {
  DirectoryLock held(run.string());  // this test process holds the run, as a running train would
  const auto second = run_cli("--threads 1 train --no-progress --resume --out " + run.string() +
                              " --set train.steps=3");
  EXPECT_EQ(second.exit_code, 1) << second.output;
  EXPECT_NE(second.output.find("in use by another depthguard process (pid " + std::to_string(::getpid()) + ")"),
            std::string::npos)
      << second.output;
  EXPECT_EQ(nlohmann::json::parse(testing::file_content(run / "summary.json"))["steps"], 2);  // untouched
}

TEST_F(TrainCli, EvalWithoutValidGroundTruthIsAnErrorAndWritesNothing) {
  const auto r = run_cli("eval --checkpoint " + checkpoint() + " --out " + (dir / "e").string() +
                         " --set eval.min_depth=50 --set eval.max_depth=60");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("none of the 2 images has valid ground truth; no metrics"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "e" / "eval.json"));
}

// A checkpoint of the fixture's run with its weights changed by `change`, written without
// the finiteness check that save_checkpoint applies (as a corrupted or diverged file).
std::string altered_checkpoint(const std::string& from, const std::string& to,
                               const std::function<void(torch::nn::Module&)>& change) {
  const auto config = read_train_config(saved_config(from));
  auto model = load_model(from, config.model, false);
  {
    torch::NoGradGuard no_grad;
    change(*model);
  }
  std::ofstream(to, std::ios::binary) << checkpoint_bytes(*model, nullptr, read_checkpoint_state(from));
  return to;
}

TEST_F(TrainCli, NonFiniteWeightsAreRefusedAndDivergedPredictionsNamed) {
  const auto image = (dir / "room.png").string();
  write_rgb(image, cv::Mat(32, 64, CV_8UC3, cv::Scalar(90, 120, 150)));
  const auto nan = altered_checkpoint(checkpoint(), (dir / "nan.pt").string(), [](torch::nn::Module& m) {
    m.named_parameters()["last_layer_depth.0.weight"][0][0][0][0] = std::numeric_limits<float>::quiet_NaN();
  });
  const auto refused = run_cli("predict --checkpoint " + nan + " --out " + (dir / "p1").string() + " " + image);
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("refusing to predict with non-finite weights: parameter last_layer_depth.0.weight: 1 NaN"),
            std::string::npos)
      << refused.output;

  const auto huge = altered_checkpoint(checkpoint(), (dir / "huge.pt").string(), [](torch::nn::Module& m) {
    for (auto& p : m.parameters()) p.mul_(1e30);  // finite, but every activation overflows
  });
  const auto predicted = run_cli("predict --checkpoint " + huge + " --out " + (dir / "p2").string() + " " + image);
  EXPECT_EQ(predicted.exit_code, 1) << predicted.output;
  EXPECT_NE(predicted.output.find("room.png: "), std::string::npos) << predicted.output;
  EXPECT_NE(predicted.output.find("nothing written for it"), std::string::npos) << predicted.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "p2" / "room.png"));  // no map of zeros
  const auto evaluated = run_cli("eval --checkpoint " + huge + " --out " + (dir / "e").string());
  EXPECT_EQ(evaluated.exit_code, 0) << evaluated.output;
  const auto md = testing::file_content(dir / "e" / "eval.md");
  EXPECT_NE(md.find("**WARNING: "), std::string::npos) << md;
  EXPECT_NE(md.find("the model is diverged or broken"), std::string::npos) << md;
}

TEST_F(TrainCli, BadInputIsNamedWithANonZeroExit) {
  const auto config = (dir / "tiny.yaml").string();
  const auto bad_key = run_cli("train --config " + config + " --out " + (dir / "x").string() + " --set optimizer.lr=fast");
  EXPECT_EQ(bad_key.exit_code, 2);
  EXPECT_NE(bad_key.output.find("optimizer.lr: cannot read"), std::string::npos) << bad_key.output;
  const auto again = run_cli("train --config " + config + " --out " + run.string());
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.output.find("already holds a run"), std::string::npos) << again.output;
  const auto missing = run_cli("eval --checkpoint " + (dir / "nope.pt").string());
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("nope.pt: checkpoint not found"), std::string::npos) << missing.output;
  std::ofstream(dir / "broken.png") << "not an image";
  const auto corrupt = run_cli("predict --checkpoint " + checkpoint() + " --out " + (dir / "p").string() + " " +
                               (dir / "broken.png").string());
  EXPECT_EQ(corrupt.exit_code, 1);
  EXPECT_NE(corrupt.output.find("broken.png"), std::string::npos) << corrupt.output;
}

}  // namespace
}  // namespace depthguard

namespace depthguard {
namespace {

// Training and evaluation on image files in the NYU layout (written by `depthguard synth`).
TEST(TrainCliFiles, TrainsAndEvaluatesOnAnNyuLayoutOnDisk) {
  testing::TempDir dir("cli_train_files");
  const auto data = (dir / "nyu").string();
  ASSERT_EQ(run_cli("synth --out " + data + " --count 8 --height 32 --width 64 --test-fraction 0.25 --holes 1").exit_code, 0);
  std::ofstream(dir / "nyu.yaml") << "model: {width: 4}\n"
                                     "data: {dataset: nyu, split: " + data + "/train.txt, root: " + data +
                                     ", batch_size: 2}\n"
                                     "eval: {data: {split: " + data + "/test.txt, root: " + data + "}}\n"
                                     "train: {steps: 3, log_interval: 1}\n";
  const auto run = (dir / "run").string();
  const auto trained = run_cli("--threads 1 train --no-progress --config " + (dir / "nyu.yaml").string() + " --out " + run);
  ASSERT_EQ(trained.exit_code, 0) << trained.output;
  EXPECT_NE(trained.output.find("6 training samples"), std::string::npos) << trained.output;
  const auto evaluated = run_cli("eval --checkpoint " + run + "/checkpoints/last.pt");
  ASSERT_EQ(evaluated.exit_code, 0) << evaluated.output;
  EXPECT_NE(evaluated.output.find("2 images evaluated"), std::string::npos) << evaluated.output;
  // A missing image named in the split stops training with the file's name.
  std::filesystem::remove(std::filesystem::path(data) / "rgb" / "000001.png");
  const auto broken = run_cli("train --no-progress --config " + (dir / "nyu.yaml").string() + " --out " +
                              (dir / "run2").string());
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_NE(broken.output.find("000001.png"), std::string::npos) << broken.output;
  // An empty split file is named as such, not blamed on the batch size.
  std::ofstream(std::filesystem::path(data) / "train.txt", std::ios::trunc).flush();
  const auto empty = run_cli("train --no-progress --config " + (dir / "nyu.yaml").string() + " --out " +
                             (dir / "run3").string());
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_NE(empty.output.find("the training data has no samples (" + data + "/train.txt lists none)"),
            std::string::npos)
      << empty.output;
}

// A corrupt evaluation image: skipped and counted under on_bad_sample: skip; otherwise the
// run stops naming it, with its last checkpoint written first.
TEST(TrainCliFiles, EvaluationHonoursOnBadSampleAndAFailureKeepsTheLastCheckpoint) {
  testing::TempDir dir("cli_eval_bad_sample");
  const auto data = (dir / "nyu").string();
  ASSERT_EQ(run_cli("synth --out " + data + " --count 8 --height 32 --width 64 --test-fraction 0.25").exit_code, 0);
  std::ofstream(std::filesystem::path(data) / "rgb" / "000007.png") << "not an image";  // in test.txt
  const auto yaml = [&](const std::string& policy) {
    return "model: {width: 4}\ndata: {dataset: nyu, split: " + data + "/train.txt, root: " + data +
           ", batch_size: 2, on_bad_sample: " + policy + "}\neval: {data: {split: " + data + "/test.txt, root: " +
           data + "}}\ntrain: {steps: 2, log_interval: 1}\n";
  };
  std::ofstream(dir / "skip.yaml") << yaml("skip");
  std::ofstream(dir / "error.yaml") << yaml("error");
  const auto skip_run = dir / "skip";
  const auto skipped = run_cli("--threads 1 train --no-progress --config " + (dir / "skip.yaml").string() + " --out " +
                               skip_run.string());
  ASSERT_EQ(skipped.exit_code, 0) << skipped.output;
  EXPECT_NE(skipped.output.find("skipping bad sample 1: "), std::string::npos) << skipped.output;
  const auto summary = nlohmann::json::parse(std::ifstream(skip_run / "summary.json"));
  EXPECT_TRUE(summary["final_eval"].is_object());
  const auto eval = run_cli("eval --checkpoint " + (skip_run / "checkpoints" / "last.pt").string());
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  EXPECT_NE(eval.output.find("1 images evaluated, 0 without valid ground truth skipped, 1 unreadable skipped"),
            std::string::npos)
      << eval.output;

  const auto error_run = dir / "error";
  const auto failed = run_cli("--threads 1 train --no-progress --config " + (dir / "error.yaml").string() + " --out " +
                              error_run.string());
  EXPECT_EQ(failed.exit_code, 1) << failed.output;
  EXPECT_NE(failed.output.find("000007.png"), std::string::npos) << failed.output;
  EXPECT_TRUE(std::filesystem::exists(error_run / "checkpoints" / "last.pt"));
}

// A real full disk: a 1 MiB tmpfs (needs root and the right to mount; skipped otherwise).
TEST(TrainCliFiles, AFullDiskIsAnErrorNamingTheFileNotAnAbort) {
  testing::TempDir dir("cli_full_disk");
  const auto small = dir / "small";
  std::filesystem::create_directories(small);
  if (::geteuid() != 0 || ::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=1m") != 0) {
    GTEST_SKIP() << "cannot mount a small tmpfs here";
  }
  std::ofstream(dir / "tiny.yaml") << testing::tiny_run_yaml(3);
  const auto run = small / "run";
  const auto r = run_cli("--threads 1 train --no-progress --config " + (dir / "tiny.yaml").string() +
                         " --set model.width=16 --out " + run.string());
  std::vector<std::string> temporaries;
  for (const auto& e : std::filesystem::recursive_directory_iterator(run)) {
    if (e.path().filename().string().find(".tmp") != std::string::npos) temporaries.push_back(e.path().string());
  }
  ::umount2(small.c_str(), MNT_DETACH);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(".pt: cannot write (No space left on device)"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("terminate called"), std::string::npos) << r.output;
  EXPECT_TRUE(temporaries.empty()) << temporaries.front();
}

TEST(TrainCliFiles, InjectedFaultUnderHaltExitsWith3NamingTheStage) {
  testing::TempDir dir("cli_train_inject");
  std::ofstream(dir / "tiny.yaml") << testing::tiny_run_yaml(4);
  const auto r = run_cli("train --no-progress --config " + (dir / "tiny.yaml").string() + " --out " +
                         (dir / "run").string() + " --inject weight:inf:1 --set guard.policy=halt");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("step 1: non-finite weight"), std::string::npos) << r.output;
  const auto bad = run_cli("train --config " + (dir / "tiny.yaml").string() + " --out " + (dir / "r2").string() +
                           " --inject weight");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("expected SITE:VALUE:STEP"), std::string::npos) << bad.output;
}

// The V2 trigger on the command line: exit 3 naming the cause, then `diagnose` replays the
// bundle the run left, as text and as JSON.
TEST(TrainCliFiles, DiagnoseReplaysTheBundleOfAHaltedRun) {
  testing::TempDir dir("cli_diagnose");
  std::ofstream(dir / "tiny.yaml") << testing::tiny_run_yaml(4);
  const auto run = (dir / "run").string();
  const auto r = run_cli("train --no-progress --config " + (dir / "tiny.yaml").string() + " --out " + run +
                         " --set model.head=naive --set model.head_bias=-100 --set guard.policy=halt");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("cause v2_log_sigmoid"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("first non-finite operator: aten::log (forward) in module 'model.head'"), std::string::npos)
      << r.output;
  const auto bundle = run + "/forensics/step-0";
  const auto text = run_cli("diagnose " + bundle);
  EXPECT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("cause: V2: log of an underflowed sigmoid"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("model.head: fused"), std::string::npos) << text.output;
  const auto json = run_cli("--log-level warn diagnose --json " + bundle + "/bundle.pt");
  ASSERT_EQ(json.exit_code, 0) << json.output;
  EXPECT_EQ(nlohmann::json::parse(json.output)["cause"], "v2_log_sigmoid") << json.output;
  const auto bad_device = run_cli("diagnose --device gpu " + bundle);
  EXPECT_EQ(bad_device.exit_code, 2) << bad_device.output;
  EXPECT_NE(bad_device.output.find("--device: "), std::string::npos) << bad_device.output;
  EXPECT_EQ(run_cli("diagnose --device cpu " + bundle).exit_code, 0);
  const auto missing = run_cli("diagnose " + (dir / "nowhere").string());
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("nowhere"), std::string::npos) << missing.output;
}

// A fault of the first run only (--inject ...:once): retried, and diagnose --replays says the
// step is finite when run again.
TEST(TrainCliFiles, AOnceFaultIsRetriedAndDiagnosedTransient) {
  testing::TempDir dir("cli_transient");
  std::ofstream(dir / "tiny.yaml") << testing::tiny_run_yaml(4);
  const auto run = (dir / "run").string();
  const auto r = run_cli("train --no-progress --config " + (dir / "tiny.yaml").string() + " --out " + run +
                         " --inject gradient:nan:2:once");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("step 2: non-finite gradient"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("transient (finite when replayed on cpu): retrying the step"), std::string::npos) << r.output;
  const auto text = run_cli("diagnose --replays 2 " + run + "/forensics/step-2");
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("cause: transient: not reproduced when the step ran again [transient]"), std::string::npos)
      << text.output;
  EXPECT_NE(text.output.find("finite when run again on cpu (2 replay(s) in float32)"), std::string::npos) << text.output;
  const auto bad = run_cli("train --config " + (dir / "tiny.yaml").string() + " --out " + (dir / "r2").string() +
                           " --inject gradient:nan:2:sometimes");
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("inject_runs"), std::string::npos) << bad.output;
}

// Ctrl-C as a user sends it: the process saves, exits 130, and the run resumes to its end.
TEST(TrainCliFiles, SigintSavesAResumableCheckpointAndExits130) {
  testing::TempDir dir("cli_train_sigint");
  std::ofstream(dir / "tiny.yaml") << testing::tiny_run_yaml(400);
  const auto run = dir / "run";
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl(DEPTHGUARD_CLI, DEPTHGUARD_CLI, "--threads", "1", "--log-level", "off", "train", "--no-progress", "--config",
          (dir / "tiny.yaml").c_str(), "--out", run.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  EXPECT_TRUE(wait_for_lines((run / "metrics.jsonl").string(), 3)) << "the run did not start";
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  EXPECT_TRUE(std::filesystem::exists(run / "checkpoints" / "last.pt"));
  EXPECT_FALSE(std::filesystem::exists(run / "summary.json"));
  const auto resumed = run_cli("--threads 1 train --no-progress --resume --out " + run.string() + " --set train.steps=20");
  EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_TRUE(std::filesystem::exists(run / "summary.json"));
}

}  // namespace
}  // namespace depthguard
