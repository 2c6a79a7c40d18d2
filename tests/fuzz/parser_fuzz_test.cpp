// Every parser of bytes a user hands depthguard (configs, study files, split files, images,
// checkpoints, reproducer bundles, study results), fed mutated copies of valid files: each
// case is read or refused with the documented error naming the file, never a crash, a
// foreign exception or wrong values read as good ones. `make fuzz` runs the long version.
#include <filesystem>
#include <regex>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <torch/torch.h>

#include "data/data_test_support.h"
#include "depthguard/config/train_config.h"
#include "depthguard/core/errors.h"
#include "depthguard/data/data_error.h"
#include "depthguard/data/image_io.h"
#include "depthguard/data/split_file_dataset.h"
#include "depthguard/report/html/html_page.h"
#include "depthguard/report/html/html_report.h"
#include "depthguard/study/run_result.h"
#include "depthguard/study/study_config.h"
#include "depthguard/train/checkpoint.h"
#include "depthguard/train/repro_bundle.h"
#include "fuzz/fuzz_driver.h"
#include "test_paths.h"
#include "test_support.h"

namespace depthguard {
namespace {

namespace fs = std::filesystem;
using testing::file_content;
using testing::FuzzTarget;
using testing::fuzz_cases;
using testing::run_fuzz;

// The suite's bounded run: a few seconds per parser on the development machine.
constexpr int64_t kSuiteCases = 300;

const fs::path kConfigs = fs::path(DEPTHGUARD_SOURCE_DIR) / "configs";

// Errors found after the YAML parsed name the key as written, a dotted path from its
// section ("data.batch_size: ...", "train.ste!ps: unknown key"), not the file.
bool names_file_or_key(const std::string& message, const std::string& file) {
  static const std::regex key_path(R"(^(model|data|eval|loss|optimizer|schedule|train|guard)[.:])");
  return message.find(file) != std::string::npos || std::regex_search(message, key_path) ||
         message.find(": unknown key (known keys: ") != std::string::npos;
}

TEST(ParserFuzz, TrainingConfigs) {
  testing::TempDir dir("fuzz_config");
  FuzzTarget<ConfigError> target;
  target.input = dir / "config.yaml";
  for (const auto& name : {"demo.yaml", "kitti.yaml", "nyu.yaml", "resnet18-mim.yaml"}) {
    target.seeds.push_back(file_content(kConfigs / name));
  }
  target.parse = [&] { read_train_config(load_config(target.input.string())); };
  target.names_input = [&](const std::string& m) { return names_file_or_key(m, target.input.string()); };
  const auto tally = run_fuzz(target, fuzz_cases(kSuiteCases));
  EXPECT_GT(tally.accepted, 0);
  EXPECT_GT(tally.rejected, 0);
}

TEST(ParserFuzz, StudyFiles) {
  testing::TempDir dir("fuzz_study");
  fs::copy_file(kConfigs / "study" / "quick-base.yaml", dir / "quick-base.yaml");
  FuzzTarget<ConfigError> target;
  target.input = dir / "study.yaml";
  target.seeds = {file_content(kConfigs / "study" / "quick.yaml")};
  target.parse = [&] { load_study_config(target.input.string()); };
  target.names_input = [&](const std::string& m) { return names_file_or_key(m, target.input.string()); };
  const auto tally = run_fuzz(target, fuzz_cases(kSuiteCases / 3));
  EXPECT_GT(tally.accepted, 0);
  EXPECT_GT(tally.rejected, 0);
}

TEST(ParserFuzz, SplitFiles) {
  testing::TempDir dir("fuzz_split");
  for (const auto* name : {"a", "b"}) {
    write_rgb((dir / (std::string(name) + ".png")).string(), cv::Mat(24, 32, CV_8UC3, cv::Scalar(10, 20, 30)));
    write_depth((dir / (std::string(name) + "_d.png")).string(), cv::Mat(24, 32, CV_32FC1, cv::Scalar(2.5)), 1000);
  }
  FuzzTarget<DataError> target;
  target.input = dir / "split.txt";
  target.seeds = {"a.png a_d.png 518.8579\n/b.png /b_d.png\nc.png None\n\n"};
  // The split file's errors name it; the images' errors name them: both are in `dir`.
  target.names_input = [&](const std::string& m) { return m.find(dir.str()) != std::string::npos; };
  target.parse = [&] {
    const SplitFileDataset dataset(nyu_split(target.input.string(), dir.str()));
    for (int64_t i = 0; i < dataset.size(); ++i) {
      const auto sample = dataset.get(i);
      EXPECT_TRUE(sample.focal > 0 && std::isfinite(sample.focal)) << sample.focal;
    }
  };
  const auto tally = run_fuzz(target, fuzz_cases(kSuiteCases));
  EXPECT_GT(tally.accepted, 0);
  EXPECT_GT(tally.rejected, 0);
}

// Small images in each kind the decoders read: JPEG (colour, grey) and PNG (colour, 16-bit,
// grey, grey with alpha, RGBA, interlacing aside).
std::vector<std::string> image_seeds(const testing::TempDir& dir) {
  cv::Mat rgb(24, 32, CV_8UC3);
  cv::randu(rgb, 0, 255);
  cv::Mat wide;
  rgb.convertTo(wide, CV_16U, 257);
  cv::Mat grey;
  cv::extractChannel(rgb, grey, 0);
  std::vector<std::string> seeds;
  cv::Mat rgba;
  cv::merge(std::vector<cv::Mat>{grey, grey, grey, grey}, rgba);
  cv::Mat grey_alpha;
  cv::merge(std::vector<cv::Mat>{grey, grey}, grey_alpha);
  const auto add = [&](const std::string& name, const cv::Mat& image) {
    const auto path = dir / name;
    write_image(path.string(), image);
    seeds.push_back(file_content(path));
  };
  add("seed.jpg", rgb);
  add("seed_grey.jpg", grey);
  add("seed.png", rgb);
  add("seed16.png", wide);
  add("seed_grey.png", grey);
  add("seed_grey_alpha.png", grey_alpha);
  add("seed_rgba.png", rgba);
  return seeds;
}

TEST(ParserFuzz, RgbImages) {
  testing::TempDir dir("fuzz_rgb");
  FuzzTarget<DataError> target;
  target.input = dir / "input.img";
  target.seeds = image_seeds(dir);
  target.parse = [&] {
    const auto rgb = read_rgb(target.input.string());
    EXPECT_EQ(rgb.type(), CV_8UC3);
    EXPECT_FALSE(rgb.empty());
  };
  const auto tally = run_fuzz(target, fuzz_cases(kSuiteCases));
  EXPECT_GT(tally.accepted, 0);
  EXPECT_GT(tally.rejected, 0);
}

TEST(ParserFuzz, DepthMaps) {
  testing::TempDir dir("fuzz_depth");
  cv::Mat depth(24, 32, CV_32FC1);
  cv::randu(depth, 0.0, 10.0);
  write_depth((dir / "seed.png").string(), depth, 1000);
  FuzzTarget<DataError> target;
  target.input = dir / "input.png";
  target.seeds = {file_content(dir / "seed.png")};
  target.parse = [&] {
    const auto metres = read_depth(target.input.string(), 1000);
    ASSERT_EQ(metres.type(), CV_32FC1);
    double lo = 0, hi = 0;
    cv::minMaxLoc(metres, &lo, &hi);
    EXPECT_TRUE(lo >= 0 && hi <= 65.535) << lo << " " << hi;
  };
  // PNG chunks carry CRCs, so nearly every mutation is refused.
  EXPECT_GT(run_fuzz(target, fuzz_cases(kSuiteCases)).rejected, 0);
}

// The smallest model with what a checkpoint holds: weights, BN buffers, optimiser state.
struct TinyModel {
  torch::nn::Sequential net{torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3)), torch::nn::BatchNorm2d(4)};
  torch::optim::AdamW optimizer{net->parameters()};
  TinyModel() {
    net->forward(torch::randn({2, 3, 8, 8})).pow(2).mean().backward();
    optimizer.step();
  }
};

void expect_finite_weights(torch::nn::Module& module) {
  for (const auto& p : module.named_parameters()) EXPECT_TRUE(testing::all_finite(p.value())) << p.key();
}

TEST(ParserFuzz, Checkpoints) {
  testing::TempDir dir("fuzz_checkpoint");
  TinyModel model;
  TrainState state;
  state.step = 7;
  state.config_yaml = file_content(kConfigs / "demo.yaml");
  save_checkpoint((dir / "seed.pt").string(), *model.net, &model.optimizer, state);
  FuzzTarget<std::runtime_error> target;
  target.input = dir / "input.pt";
  target.seeds = {file_content(dir / "seed.pt")};
  target.parse = [&] {
    const auto loaded = load_checkpoint(target.input.string(), *model.net, &model.optimizer);
    EXPECT_EQ(loaded.step, 7);
    EXPECT_EQ(loaded.config_yaml, state.config_yaml);
    expect_finite_weights(*model.net);
  };
  const auto tally = run_fuzz(target, fuzz_cases(kSuiteCases));
  EXPECT_GT(tally.rejected, 0);
}

TEST(ParserFuzz, ReproBundles) {
  testing::TempDir dir("fuzz_bundle");
  TinyModel model;
  ReproBundle bundle;
  bundle.state = checkpoint_bytes(*model.net, &model.optimizer, TrainState());
  bundle.config_yaml = file_content(kConfigs / "demo.yaml");
  bundle.image = torch::rand({1, 3, 8, 8});
  bundle.depth = torch::rand({1, 1, 8, 8});
  bundle.samples = {"scene-0001"};
  bundle.step = 3;
  bundle.stage = "loss";
  save_bundle((dir / "seed.pt").string(), bundle);
  FuzzTarget<std::runtime_error> target;
  target.input = dir / "bundle.pt";
  target.seeds = {file_content(dir / "seed.pt")};
  target.parse = [&] {
    const auto loaded = load_bundle(target.input.string());
    EXPECT_EQ(loaded.step, 3);
    EXPECT_TRUE(torch::equal(loaded.image, bundle.image));
  };
  const auto tally = run_fuzz(target, fuzz_cases(kSuiteCases));
  EXPECT_GT(tally.rejected, 0);
}

TEST(ParserFuzz, StudyResults) {
  testing::TempDir dir("fuzz_result");
  RunResult result;
  result.run = {"baseline", "high-lr", 3, "baseline--high-lr--seed3"};
  result.status = "halted";
  result.steps = 41;
  result.nonfinite_step = 41;
  result.stage = "loss";
  result.cause = "v1_sqrt";
  result.metrics = DepthMetrics{0.2, 0.1, 0.5, 0.3, 0.1, 25, 0.7, 0.9, 0.97};
  result.metrics_from = "last good checkpoint (step 40)";
  FuzzTarget<std::runtime_error> target;
  target.input = dir / "result.json";
  target.seeds = {result_json(result)};
  target.parse = [&] {
    const auto back = read_result(target.input.string());
    EXPECT_GE(back.steps, 0);
  };
  const auto tally = run_fuzz(target, fuzz_cases(kSuiteCases));
  EXPECT_GT(tally.accepted, 0);
  EXPECT_GT(tally.rejected, 0);
}

// The HTML report's reading of a run: a damaged metrics.jsonl gives a page or an error
// naming the file (never a foreign exception).
TEST(ParserFuzz, RunReports) {
  testing::TempDir dir("fuzz_run_report");
  FuzzTarget<std::runtime_error> target;
  target.input = dir / "metrics.jsonl";
  target.seeds = {
      "{\"epoch\":0,\"grad_norm\":0.8,\"images_per_s\":79.1,\"loss\":4.5,\"lr\":4e-05,\"step\":20}\n"
      "{\"nonfinite\":{\"action\":\"skip\",\"cause\":\"injected\",\"report\":\"run/forensics/step-21\","
      "\"samples\":[\"synth/1\"],\"stage\":\"gradient\"},\"step\":21}\n"
      "{\"loss_scale_overflow\":{\"in_a_row\":1,\"scale\":32768.0},\"step\":22}\n"
      "{\"eval\":{\"abs_rel\":0.2,\"d1\":0.7},\"images\":200,\"skipped\":0,\"step\":40}\n"};
  target.parse = [&] {
    const auto data = run_report_data(dir.str());
    EXPECT_TRUE(data["train"].is_array());
    EXPECT_FALSE(html_page("run", data).empty());
  };
  const auto tally = run_fuzz(target, fuzz_cases(kSuiteCases));
  EXPECT_GT(tally.accepted, 0);
  EXPECT_GT(tally.rejected, 0);
}

// The study page's reading of study.json: a damaged one gives a page or an error naming it.
TEST(ParserFuzz, StudyReports) {
  testing::TempDir dir("fuzz_study_report");
  FuzzTarget<std::runtime_error> target;
  target.input = dir / "study.json";
  target.seeds = {R"({"command": "depthguard study --config q.yaml --out s",
  "summary": [{"variant": "baseline", "stress": "high-lr", "runs": 2, "nonfinite": 1, "failed": 0, "rate": 0.5,
               "rate_ci95": [0.09, 0.91], "median_first_step": 1, "causes": {"v2_log_sigmoid": 1},
               "abs_rel": {"mean": 0.4, "std": 0.0, "n": 1}, "rmse": null, "d1": null}],
  "runs": [{"id": "baseline--high-lr--seed0", "variant": "baseline", "stress": "high-lr", "seed": 0,
            "status": "halted", "steps": 1, "nonfinite_step": 1, "stage": "loss", "cause": "v2_log_sigmoid",
            "metrics": null, "metrics_from": "", "seconds": 0.5},
           {"id": "baseline--high-lr--seed1", "variant": "baseline", "stress": "high-lr", "seed": 1,
            "status": "completed", "steps": 4, "nonfinite_step": null, "stage": "", "cause": "",
            "metrics": {"abs_rel": 0.4, "rmse": 1.2, "d1": 0.5}, "metrics_from": "final", "seconds": 0.7}]})"};
  target.parse = [&] {
    const auto data = study_report_data(dir.str());
    EXPECT_EQ(data["kind"], "study");
    EXPECT_FALSE(html_page("study", data).empty());
  };
  const auto tally = run_fuzz(target, fuzz_cases(kSuiteCases));
  EXPECT_GT(tally.accepted, 0);
  EXPECT_GT(tally.rejected, 0);
}

}  // namespace
}  // namespace depthguard
