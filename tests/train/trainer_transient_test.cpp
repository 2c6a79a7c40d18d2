// Model or machine in the trainer: a fault that only the first run of a step meets
// (guard.inject_runs, --inject ...:once) is found transient by the replay on the run's own
// device, handled by guard.on_transient, and kept in metrics.jsonl, summary.json and the
// forensics report.
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "data/data_test_support.h"
#include "depthguard/core/errors.h"
#include "depthguard/models/depth_model.h"
#include "depthguard/train/checkpoint.h"
#include "depthguard/train/forensics.h"
#include "depthguard/train/trainer.h"
#include "test_support.h"
#include "train/tiny_run.h"

namespace depthguard {
namespace {

namespace fs = std::filesystem;
using testing::quiet;

// A tiny run with `site` faulted at step 3 on its first `runs` runs (0: every run).
YAML::Node faulted_run(const std::string& site, int64_t runs, const std::string& on_transient = "retry") {
  auto root = testing::tiny_run(6);
  root["guard"]["inject"] = site;
  root["guard"]["inject_step"] = 3;
  root["guard"]["inject_runs"] = runs;
  root["guard"]["on_transient"] = on_transient;
  return root;
}

nlohmann::json run_json(const fs::path& path) { return nlohmann::json::parse(testing::file_content(path)); }

std::vector<nlohmann::json> logged_events(const std::string& run) {
  std::vector<nlohmann::json> out;
  std::istringstream lines(testing::file_content(fs::path(run) / "metrics.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    const auto j = nlohmann::json::parse(line);
    if (j.contains("nonfinite")) out.push_back(j["nonfinite"]);
  }
  return out;
}

// Every parameter and buffer of the two runs' last checkpoints, equal bit for bit.
bool same_checkpoint_weights(const std::string& a, const std::string& b) {
  DepthModel ma(ModelOptions().width(4)), mb(ModelOptions().width(4));
  load_checkpoint(last_checkpoint(a), *ma, nullptr);
  load_checkpoint(last_checkpoint(b), *mb, nullptr);
  const auto pa = ma->named_parameters(), pb = mb->named_parameters();
  for (const auto& p : pa) {
    if (!torch::equal(p.value(), pb[p.key()])) return false;
  }
  const auto ba = ma->named_buffers(), bb = mb->named_buffers();
  for (const auto& p : ba) {
    if (!torch::equal(p.value(), bb[p.key()])) return false;
  }
  return true;
}

TEST(TrainerTransient, ARetriedTransientFaultTrainsBitForBitAsIfNothingHappened) {
  testing::TempDir clean("transient_clean");
  train(read_train_config(testing::tiny_run(6)), quiet(clean.str()));
  for (const std::string site : {"gradient", "loss"}) {
    testing::TempDir dir("transient_retry_" + site);
    const auto s = train(read_train_config(faulted_run(site, 1)), quiet(dir.str()));
    EXPECT_EQ(s.steps, 6) << site;
    EXPECT_EQ(s.transient_steps, 1) << site;
    EXPECT_TRUE(same_checkpoint_weights(clean.str(), dir.str())) << site;
    const auto e = logged_events(dir.str());
    ASSERT_EQ(e.size(), 1u) << site;
    EXPECT_EQ(e[0]["action"], "retry");
    EXPECT_EQ(e[0]["transient"], true);
    EXPECT_EQ(e[0]["replayed_on"], "cpu");
    EXPECT_EQ(e[0]["cause"], "transient");
    const auto summary = run_json(fs::path(dir.str()) / "summary.json");
    ASSERT_EQ(summary["transient_steps"].size(), 1u) << summary.dump(2);
    EXPECT_EQ(summary["transient_steps"][0]["step"], 3);
    EXPECT_EQ(summary["transient_steps"][0]["stage"], site);
    EXPECT_EQ(summary["transient_steps"][0]["replayed_on"], "cpu");
    EXPECT_EQ(summary["transient_steps"][0]["action"], "retry");
    const auto report = run_json(fs::path(e[0]["report"].get<std::string>()) / "report.json");
    EXPECT_EQ(report["injected"], site + ":nan:once");
    ASSERT_EQ(report["replays"].size(), 1u);
    EXPECT_EQ(report["replays"][0]["device"], "cpu");
    EXPECT_EQ(report["replays"][0]["precision"], "float32");
    EXPECT_EQ(report["replays"][0]["nonfinite"], false);
    EXPECT_NE(report["reason"].get<std::string>().find("on its first run only"), std::string::npos) << report["reason"];
  }
}

TEST(TrainerTransient, OnTransientSkipAndHalt) {
  testing::TempDir skipped("transient_skip");
  EXPECT_EQ(train(read_train_config(faulted_run("gradient", 1, "skip")), quiet(skipped.str())).steps, 6);
  EXPECT_EQ(logged_events(skipped.str()).at(0)["action"], "skip");

  testing::TempDir halted("transient_halt");
  auto config = read_train_config(faulted_run("gradient", 1, "halt"));
  config.train.checkpoint_interval = 1;
  const auto message = testing::error_message<NonFiniteHalt>([&] { train(config, quiet(halted.str())); });
  EXPECT_NE(message.find("step 3: non-finite gradient"), std::string::npos) << message;
  EXPECT_NE(message.find("guard.on_transient halt"), std::string::npos) << message;
  EXPECT_EQ(read_checkpoint_state(last_checkpoint(halted.str())).step, 3);
}

// inject_runs 2: the retry meets the fault again; the second transient at the step follows
// guard.policy (auto: skip, since the replays were finite), and the next batch trains on.
TEST(TrainerTransient, AFaultThatComesBackOnRetryFollowsThePolicy) {
  testing::TempDir dir("transient_twice");
  const auto s = train(read_train_config(faulted_run("gradient", 2)), quiet(dir.str()));
  EXPECT_EQ(s.steps, 6);
  EXPECT_EQ(s.transient_steps, 2);
  const auto e = logged_events(dir.str());
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0]["action"], "retry");
  EXPECT_EQ(e[1]["action"], "skip");
  EXPECT_EQ(e[1]["reason"], "transient: its replays were finite, so the weights are not the cause");
  EXPECT_EQ(e[1]["transient"], true);
}

// SwinV2's backward normalises the zeros of padded windows into NaN that reach no gradient
// (NormBackward1 at a 2x2 map under 8x8 windows): the verdict is the loss's and the
// gradients', not that of any NaN on the way.
TEST(TrainerTransient, ASwinTransientIsNotMistakenForItsPaddedWindowsNaN) {
  auto root = faulted_run("gradient", 1);
  root["model"] = YAML::Load("{arch: swinv2-mim}");
  root["data"]["synthetic"]["height"] = 64;
  root["data"]["synthetic"]["width"] = 64;
  root["train"]["steps"] = 4;
  testing::TempDir dir("transient_swin");
  const auto s = train(read_train_config(root), quiet(dir.str()));
  EXPECT_EQ(s.transient_steps, 1);
  const auto e = logged_events(dir.str());
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0]["cause"], "transient");
  EXPECT_EQ(e[0]["action"], "retry");
}

// A fault every run meets (inject_runs 0) is reproduced: the policy acts, not on_transient.
TEST(TrainerTransient, AReproducibleFaultIsNotTransient) {
  testing::TempDir dir("transient_reproducible");
  const auto s = train(read_train_config(faulted_run("gradient", 0)), quiet(dir.str()));
  EXPECT_EQ(s.transient_steps, 0);
  const auto e = logged_events(dir.str());
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0]["action"], "skip");
  EXPECT_FALSE(e[0].contains("transient"));
  EXPECT_EQ(e[0]["cause"], "injected");
}

// The replay order on the bundle: guard.replays (or diagnose --replays) replays on the run's
// device, all finite for a fault of the first run.
TEST(TrainerTransient, TheBundleReplaysAsManyTimesAsAsked) {
  testing::TempDir dir("transient_bundle");
  train(read_train_config(faulted_run("gradient", 1)), quiet(dir.str()));
  const auto bundle = load_bundle((fs::path(dir.str()) / "forensics" / "step-3").string());
  EXPECT_EQ(bundle.device, "cpu");
  const auto report = replay_bundle(bundle, c10::kCPU, 3);
  EXPECT_EQ(report.cause, NonFiniteCause::Transient) << report.text();
  EXPECT_EQ(report.replays.size(), 3u);
  EXPECT_NE(report.text().find("replayed on cpu in float32: finite"), std::string::npos) << report.text();
  EXPECT_EQ(replay_reproduces(bundle, c10::kCPU), std::optional<bool>(false));
}

}  // namespace
}  // namespace depthguard
