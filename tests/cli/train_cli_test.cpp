// train, eval and predict run as a user runs them, on a tiny synthetic run.
#include <filesystem>
#include <fstream>

#include <opencv2/imgcodecs.hpp>

#include "cli/cli_run.h"
#include "data/data_test_support.h"
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

TEST_F(TrainCli, PredictAcceptsAnySizeGreyscaleAndRgba) {
  const auto grey = (dir / "grey.png").string(), rgba = (dir / "rgba.png").string();
  cv::imwrite(grey, cv::Mat(37, 53, CV_8UC1, cv::Scalar(90)));
  cv::imwrite(rgba, cv::Mat(20, 90, CV_8UC4, cv::Scalar(10, 200, 30, 255)));
  const auto out = dir / "pred";
  const auto r = run_cli("predict --checkpoint " + checkpoint() + " --out " + out.string() + " " + grey + " " + rgba);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto depth = cv::imread((out / "grey.png").string(), cv::IMREAD_UNCHANGED);
  EXPECT_EQ(depth.type(), CV_16UC1);
  EXPECT_EQ(depth.size(), cv::Size(53, 37));
  double lo = 0;
  cv::minMaxLoc(depth, &lo);
  EXPECT_GT(lo, 0) << "every pixel gets a depth";
  const auto colour = cv::imread((out / "rgba_color.png").string(), cv::IMREAD_UNCHANGED);
  EXPECT_EQ(colour.type(), CV_8UC3);
  EXPECT_EQ(colour.rows, 48);  // the legend needs at least 48 rows
  EXPECT_GT(colour.cols, 90);  // picture plus legend
}

TEST_F(TrainCli, ResumeOfAFinishedRunExtendsItWithMoreSteps) {
  const auto r = run_cli("--threads 1 train --no-progress --resume --out " + run.string() + " --set train.steps=3");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("resuming"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("trained 3 steps"), std::string::npos) << r.output;
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
