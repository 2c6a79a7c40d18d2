// Each of the paper's vulnerabilities, triggered in a short real training run: the vulnerable
// form halts and the forensics report names the operator and the cause; the guideline form
// of the same run completes without a non-finite step. The bundle replays to the same report.
#include "depthguard/train/forensics.h"

#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>
#include <torch/version.h>

#include "data/data_test_support.h"
#include "depthguard/config/train_config.h"
#include "depthguard/core/errors.h"
#include "depthguard/runtime/autocast.h"
#include "depthguard/train/repro_bundle.h"
#include "depthguard/train/trainer.h"
#include "test_paths.h"
#include "test_support.h"
#include "train/tiny_run.h"

namespace depthguard {
namespace {

namespace fs = std::filesystem;

using testing::quiet;

// LiDAR-like ground truth: about one valid pixel per 32x64 image, so some images keep
// exactly one (N = 1) and some none.
YAML::Node sparse_run() {
  auto root = testing::tiny_run(8);
  root["data"]["synthetic"]["count"] = 12;
  root["data"]["synthetic"]["sparsity"] = "random";
  root["data"]["synthetic"]["valid_fraction"] = 1.0 / 2048;
  root["loss"]["scope"] = "image";
  root["guard"]["policy"] = "halt";
  return root;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The one forensics directory of a run.
fs::path report_dir(const std::string& run) {
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(fs::path(run) / "forensics")) dirs.push_back(e.path());
  EXPECT_EQ(dirs.size(), 1U);
  return dirs.empty() ? fs::path() : dirs.front();
}

struct Outcome {
  std::string halt_message;
  nlohmann::json report;
  fs::path dir;  ///< removed with the run: its bundle is kept in `bundle`
  ReproBundle bundle;
};

Outcome expect_halt(const YAML::Node& root, const std::string& name) {
  testing::TempDir tmp(name);
  Outcome o;
  o.halt_message = testing::error_message<NonFiniteHalt>([&] { train(read_train_config(root), quiet(tmp.str())); });
  EXPECT_FALSE(o.halt_message.empty()) << name << ": the vulnerable run did not diverge";
  if (o.halt_message.empty()) return o;
  o.dir = report_dir(tmp.str());
  o.report = nlohmann::json::parse(read_text(o.dir / "report.json"));
  EXPECT_TRUE(fs::exists(o.dir / "bundle.pt"));
  EXPECT_NE(read_text(o.dir / "report.txt").find("cause:"), std::string::npos);
  EXPECT_NE(o.halt_message.find("cause " + o.report["cause"].get<std::string>()), std::string::npos) << o.halt_message;
  // The bundle alone (no dataset) replays to the same report.
  o.bundle = load_bundle(o.dir.string());
  EXPECT_EQ(replay_bundle(o.bundle).json() + "\n", read_text(o.dir / "report.json"));
  return o;
}

// The report names this cause, stage and operator (name, direction, module path).
void expect_report(const nlohmann::json& r, const char* cause, const char* stage,
                   const std::array<const char*, 3>& op) {
  EXPECT_EQ(r["cause"], cause);
  EXPECT_EQ(r["stage"], stage);
  ASSERT_TRUE(r["op"].is_object()) << r.dump(2);
  EXPECT_EQ(r["op"]["name"], op[0]);
  EXPECT_EQ(r["op"]["direction"], op[1]);
  EXPECT_EQ(r["op"]["module"], op[2]);
}

void expect_completes(const YAML::Node& root, const std::string& name) {
  testing::TempDir tmp(name);
  const auto s = train(read_train_config(root), quiet(tmp.str()));
  EXPECT_EQ(s.steps, 8) << name;
  EXPECT_EQ(s.nonfinite_steps, 0) << name;
  EXPECT_FALSE(fs::exists(fs::path(tmp.str()) / "forensics")) << name;
}

TEST(Forensics, V1SquareRootOfAZeroSilogInTheBackward) {
  auto root = sparse_run();
  root["loss"]["lambda"] = 1.0;
  root["loss"]["reduction"] = "sqrt";
  root["loss"]["variance"] = "population";
  const auto o = expect_halt(root, "forensics_v1");
  expect_report(o.report, "v1_sqrt", "gradient", {"SqrtBackward0", "backward", "loss.silog"});
  EXPECT_NE(o.report["remedy"].get<std::string>().find("loss.reduction: none"), std::string::npos);
  EXPECT_EQ(o.report["remedy_terms"], "trainer");
  // The bundle records the step's thread count and generators; diagnose --threads overrides
  // the count for its replays and leaves the process's as it was.
  const auto& bundle = o.bundle;
  EXPECT_EQ(bundle.conditions.intra_op_threads, at::get_num_threads());
  EXPECT_TRUE(bundle.conditions.generators);
  EXPECT_EQ(o.report["intra_op_threads"], at::get_num_threads());
  const int before = at::get_num_threads();
  const auto overridden = replay_bundle(bundle, c10::kCPU, 1, before + 1);
  EXPECT_EQ(overridden.intra_op_threads, before + 1);
  EXPECT_EQ(overridden.cause, NonFiniteCause::SqrtAtZero) << overridden.text();
  EXPECT_EQ(at::get_num_threads(), before);
  root["loss"]["reduction"] = "none";
  expect_completes(root, "forensics_v1_guideline");
}

TEST(Forensics, V2LogOfAnUnderflowedSigmoidInTheHead) {
  auto root = testing::tiny_run(8);
  root["model"]["head"] = "naive";
  root["model"]["head_bias"] = -100.0;
  root["guard"]["policy"] = "halt";
  const auto o = expect_halt(root, "forensics_v2");
  expect_report(o.report, "v2_log_sigmoid", "loss", {"aten::log", "forward", "model.head"});
  // Halted at step 0, before any checkpoint: the message points at none.
  EXPECT_NE(o.halt_message.find("no checkpoint was saved before it"), std::string::npos) << o.halt_message;
  EXPECT_EQ(o.halt_message.find("holds the last good state"), std::string::npos) << o.halt_message;
  EXPECT_GT(o.report["op"]["inputs"][0]["zeros"].get<int64_t>(), 0);
  root["model"]["head"] = "fused";
  expect_completes(root, "forensics_v2_guideline");
}

// A bf16 run whose step float32 reproduces: the sigmoid underflows in float32 too, so the
// cause is V2 itself, not precision.
TEST(Forensics, ABf16RunThatFloat32ReproducesKeepsTheVulnerability) {
  auto root = testing::tiny_run(8);
  root["model"]["head"] = "naive";
  root["model"]["head_bias"] = -100.0;
  root["train"]["precision"] = "bf16";
  root["guard"]["policy"] = "halt";
  const auto o = expect_halt(root, "forensics_v2_bf16");
  expect_report(o.report, "v2_log_sigmoid", "loss", {"aten::log", "forward", "model.head"});
  EXPECT_EQ(o.report["precision_only"], "");
}

// fp16 where it runs: head bias -20 underflows float16's sigmoid (from logit -17.5) and
// not float32's, so the cause is precision, with V2 named in the reason; the fused head
// trains on.
void expect_a_float16_only_underflow_is_precision(const std::string& device) {
  auto root = testing::tiny_run(8);
  root["model"]["head"] = "naive";
  root["model"]["head_bias"] = -20.0;
  root["train"]["device"] = device;
  root["train"]["precision"] = "fp16";
  root["guard"]["policy"] = "halt";
  const auto o = expect_halt(root, "forensics_fp16_" + device);
  EXPECT_EQ(o.report["cause"], "precision") << o.report.dump(2);
  EXPECT_EQ(o.report["precision_only"], "float16");
  EXPECT_NE(o.report["reason"].get<std::string>().find("V2"), std::string::npos) << o.report.dump(2);
  root["model"]["head"] = "fused";
  testing::TempDir tmp("forensics_fp16_fused_" + device);
  EXPECT_EQ(train(read_train_config(root), quiet(tmp.str())).nonfinite_steps, 0);
}

TEST(Forensics, AFloat16OnlyUnderflowOnTheCpuIsThePrecisionCause) {
  if (!autocast_runs(torch::kCPU, torch::kHalf)) GTEST_SKIP() << "LibTorch " << TORCH_VERSION << ": no CPU float16 autocast";
  expect_a_float16_only_underflow_is_precision("cpu");
}

TEST(Forensics, AFloat16OnlyUnderflowIsThePrecisionCause) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  expect_a_float16_only_underflow_is_precision("cuda");
}

TEST(Forensics, V3UnbiasedVarianceOfASinglePixelCrop) {
  auto root = sparse_run();
  root["loss"]["variance"] = "unbiased";
  const auto o = expect_halt(root, "forensics_v3");
  expect_report(o.report, "v3_variance", "loss", {"aten::div", "forward", "loss.silog.variance"});
  root["loss"]["variance"] = "population";
  expect_completes(root, "forensics_v3_guideline");
}

// SGD at a learning rate 1000x the base: the weights grow by orders of magnitude until
// BatchNorm's running variance overflows (the loss, computed with batch statistics, is
// still finite). The sentinel catches it at the weight stage and the history shows why.
// (The poly schedule over 200 steps keeps the rate high long enough for both LibTorch
// lines, whose kernels round differently: 1.13 diverges at step 77, 2.15 at step 80.)
TEST(Forensics, ExplodingLearningRateOverflowsBatchNormStatistics) {
  auto root = load_config(std::string(DEPTHGUARD_SOURCE_DIR) + "/configs/study/quick-base.yaml",
                          {"optimizer.name=sgd", "optimizer.lr=1.0", "optimizer.momentum=0.9", "train.steps=200",
                           "loss.reduction=sqrt", "loss.variance=unbiased", "train.seed=0",
                           "train.threads=1", "guard.policy=halt", "eval.data.synthetic.count=2"});
  testing::TempDir tmp("forensics_exploding");
  const auto message = testing::error_message<NonFiniteHalt>([&] { train(read_train_config(root), quiet(tmp.str())); });
  ASSERT_FALSE(message.empty()) << "the run did not diverge";
  const auto report = nlohmann::json::parse(read_text(report_dir(tmp.str()) / "report.json"));
  EXPECT_EQ(report["cause"], "exploding");
  EXPECT_EQ(report["stage"], "weight");
  EXPECT_NE(report["reason"].get<std::string>().find("weight norm grew"), std::string::npos) << report["reason"];
  EXPECT_NE(report["findings"].dump().find("running_var"), std::string::npos) << report["findings"];
}

TEST(Forensics, MissingAndCorruptBundlesAreNamed) {
  testing::TempDir tmp("forensics_bad_bundle");
  const auto missing = (fs::path(tmp.str()) / "nothing").string();
  EXPECT_NE(testing::error_message([&] { load_bundle(missing); }).find(missing), std::string::npos);
  const auto corrupt = fs::path(tmp.str()) / "bundle.pt";
  std::ofstream(corrupt) << "not a bundle";
  const auto message = testing::error_message([&] { load_bundle(tmp.str()); });
  EXPECT_NE(message.find(corrupt.string()), std::string::npos) << message;
  EXPECT_NE(message.find("not a readable depthguard reproducer bundle"), std::string::npos) << message;
}

}  // namespace
}  // namespace depthguard
