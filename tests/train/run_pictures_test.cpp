// What a run leaves for people to look at: TensorBoard event files mirroring metrics.jsonl
// (scalars, non-finite events as text, held-out samples as images) and RUN/samples/.
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "data/data_test_support.h"
#include "depthguard/config/train_config.h"
#include "depthguard/data/image_codec.h"
#include "depthguard/data/rgbd_sample.h"
#include "depthguard/train/sample_gallery.h"
#include "depthguard/train/trainer.h"
#include "python_support.h"
#include "runlog/event_reader.h"
#include "test_support.h"
#include "train/tiny_run.h"

namespace depthguard {
namespace {

namespace fs = std::filesystem;
using testing::quiet;
using testing::read_events;
using testing::scalar_points;

std::vector<nlohmann::json> metrics_lines(const fs::path& run) {
  std::ifstream in(run / "metrics.jsonl");
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

TEST(RunPictures, TensorBoardMirrorsEveryLoggedLineAndDrawsTheSamples) {
  testing::TempDir dir("pictures_tb");
  auto root = testing::tiny_run(4);
  root["eval"]["interval"] = 2;
  train(read_train_config(root), quiet(dir.str()));
  const auto events = read_events(dir / "tb");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().file_version, "brain.Event:2");

  // Each training line's numbers are train/<key> at its step, with the same value (float32).
  const auto lines = metrics_lines(dir.str());
  for (const char* key : {"loss", "objective", "lr", "grad_norm", "weight_norm", "images_per_s"}) {
    const auto points = scalar_points(events, std::string("train/") + key);
    std::vector<std::pair<int64_t, float>> expected;
    for (const auto& l : lines) {
      if (l.contains(key)) expected.emplace_back(l["step"].get<int64_t>(), l[key].get<float>());
    }
    EXPECT_EQ(points, expected) << key;
    EXPECT_EQ(points.size(), 4u) << key;
  }
  EXPECT_TRUE(scalar_points(events, "train/epoch").empty());
  // Evaluations at steps 2 and 4, each metric.
  const auto abs_rel = scalar_points(events, "eval/abs_rel");
  ASSERT_EQ(abs_rel.size(), 2u);
  EXPECT_EQ(abs_rel[0].first, 2);
  EXPECT_EQ(abs_rel[1].first, 4);
  EXPECT_EQ(scalar_points(events, "eval/d1").size(), 2u);

  // The held-out samples: the two evaluation scenes, at each evaluation, as RGB PNGs.
  int images = 0;
  for (const auto& e : events) {
    for (const auto& v : e.values) {
      if (v.image_png.empty()) continue;
      ++images;
      EXPECT_EQ(v.tag.rfind("samples/", 0), 0u) << v.tag;
      const auto picture = decode_image(std::vector<uint8_t>(v.image_png.begin(), v.image_png.end()));
      EXPECT_EQ(picture.cols, v.image_width);
      EXPECT_GT(picture.cols, 4 * 64);  // four tiles of the 64-wide scene and a legend
    }
  }
  EXPECT_EQ(images, 4);
  const auto index = nlohmann::json::parse(std::ifstream(dir / "samples/samples.json"));
  EXPECT_EQ(index["step"], 4);
  ASSERT_EQ(index["samples"].size(), 2u);
  EXPECT_EQ(index["samples"][0]["id"], "synth/6");  // the first held-out scene after the six training ones
  EXPECT_TRUE(fs::exists(dir / "samples/sample-1.png"));
  const auto summary = nlohmann::json::parse(std::ifstream(dir / "summary.json"));
  EXPECT_NE(summary["version"].get<std::string>().find("0.1.0"), std::string::npos);
}

TEST(RunPictures, ANonFiniteEventIsATextAndAMarkInTensorBoard) {
  testing::TempDir dir("pictures_nonfinite");
  auto root = testing::tiny_run(4);
  root["guard"]["inject"] = "gradient";
  root["guard"]["inject_step"] = 2;
  train(read_train_config(root), quiet(dir.str()));
  const auto events = read_events(dir / "tb");
  const auto marks = scalar_points(events, "guard/nonfinite");
  ASSERT_EQ(marks.size(), 1u);
  EXPECT_EQ(marks[0].first, 2);
  std::string text;
  for (const auto& e : events) {
    for (const auto& v : e.values) {
      if (v.tag == "nonfinite") text = v.text.value_or("");
    }
  }
  EXPECT_NE(text.find("**non-finite value at step 2**"), std::string::npos) << text;
  EXPECT_NE(text.find("- stage: gradient"), std::string::npos) << text;
  EXPECT_NE(text.find("- cause: injected"), std::string::npos) << text;
  EXPECT_NE(text.find("forensics/step-2"), std::string::npos) << text;
}

// Loss scaling: the scale is a train/ curve, each routine overflow a guard/ point.
TEST(RunPictures, LossScaleOverflowsArePointsInTensorBoard) {
  testing::TempDir dir("pictures_loss_scale");
  auto root = testing::tiny_run(2);
  root["train"]["loss_scaling"] = "dynamic";
  root["train"]["init_scale"] = 1e38;
  train(read_train_config(root), quiet(dir.str()));
  const auto events = read_events(dir / "tb");
  const auto overflows = scalar_points(events, "guard/loss_scale_overflow");
  ASSERT_FALSE(overflows.empty());
  EXPECT_FLOAT_EQ(overflows[0].second, 5e37f);  // the scale it backed off to
  EXPECT_EQ(scalar_points(events, "train/loss_scale").size(), 2u);
  EXPECT_TRUE(scalar_points(events, "guard/nonfinite").empty());
}

TEST(RunPictures, TensorBoardAndSamplesCanBeTurnedOff) {
  testing::TempDir dir("pictures_off");
  auto root = testing::tiny_run(2);
  root["train"]["tensorboard"] = false;
  root["eval"]["samples"] = 0;
  train(read_train_config(root), quiet(dir.str()));
  EXPECT_FALSE(fs::exists(dir / "tb"));
  EXPECT_FALSE(fs::exists(dir / "samples"));
}

// A resumed session writes a file of its own that starts with a session start at the
// checkpoint's step, so TensorBoard drops what the killed session logged after it.
TEST(RunPictures, AResumedRunAddsAnEventFileStartingAtTheCheckpoint) {
  testing::TempDir dir("pictures_resume");
  auto root = testing::tiny_run(2);
  train(read_train_config(root), quiet(dir.str()));
  root["train"]["steps"] = 3;
  auto resume = quiet(dir.str());
  resume.resume = true;
  train(read_train_config(root), resume);
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir / "tb")) files += e.path().filename().string().find("tfevents") != std::string::npos;
  EXPECT_EQ(files, 2);
  const auto loss = scalar_points(read_events(dir / "tb"), "train/loss");
  ASSERT_EQ(loss.size(), 3u);
  EXPECT_EQ(loss.back().first, 3);
}

// A wide frame (KITTI's are 1242 pixels) is drawn at most 320 pixels per tile.
TEST(RunPictures, WideSamplesAreDrawnShrunk) {
  RgbdSample sample;
  sample.id = "wide";
  sample.rgb = cv::Mat(40, 640, CV_8UC3, cv::Scalar(10, 20, 30));
  sample.depth = cv::Mat(40, 640, CV_32FC1, cv::Scalar(2.0f));
  const auto drawn = draw_sample(sample, torch::full({40, 640}, 2.5f));
  EXPECT_EQ(drawn.id, "wide");
  EXPECT_EQ(drawn.picture.cols, 4 * 320 + 2 * 64);  // two tiles carry a 64-pixel legend
  EXPECT_NE(testing::error_message([&] { draw_sample(sample, torch::full({40, 639}, 2.5f)); }).find("sample's size"),
            std::string::npos);
}

// TensorBoard's own reader on a run with evaluations, samples and a non-finite event
// (tests/runlog/tensorboard_reads_run.py compares it with metrics.jsonl and samples/).
TEST(RunPictures, TensorBoardsOwnReaderLoadsTheRun) {
  DEPTHGUARD_REQUIRE_PYTHON("tensorboard, PIL");
  testing::TempDir dir("pictures_tensorboard_reader");
  auto root = testing::tiny_run(4);
  root["eval"]["interval"] = 2;
  root["eval"]["samples"] = 2;
  root["guard"]["inject"] = "gradient";
  root["guard"]["inject_step"] = 2;
  root["guard"]["policy"] = "skip";
  EXPECT_EQ(train(read_train_config(root), quiet(dir.str())).nonfinite_steps, 1);
  const auto command = testing::python_command(DEPTHGUARD_SOURCE_DIR "/tests/runlog/tensorboard_reads_run.py " +
                                               dir.str());
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
}

}  // namespace
}  // namespace depthguard
