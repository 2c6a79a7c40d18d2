// The study as a user runs it: a config file, parallel training processes, a report, and a
// second call that resumes without redoing finished runs.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>
#include <tuple>

#include <nlohmann/json.hpp>

#include "cli/cli_run.h"
#include "data/data_test_support.h"
#include "depthguard/core/errors.h"
#include "depthguard/runtime/directory_lock.h"
#include "depthguard/study/study_config.h"
#include "test_paths.h"
#include "train/tiny_run.h"

namespace depthguard {
namespace {

namespace fs = std::filesystem;

TEST(StudyConfig, DefaultsToThePaperVariantsAndChecksKeys) {
  testing::TempDir dir("study_config");
  std::ofstream(dir / "base.yaml") << testing::tiny_run_yaml(4);
  std::ofstream(dir / "study.yaml") << "base: base.yaml\nseeds: 3\nset: {train.steps: 2}\n";
  const auto c = load_study_config((dir / "study.yaml").string());
  ASSERT_EQ(c.variants.size(), 5U);
  EXPECT_EQ(c.variants.front().name, "baseline");
  EXPECT_EQ(c.variants.back().name, "guidelines");
  const auto runs = study_runs(c);
  ASSERT_EQ(runs.size(), 15U);
  EXPECT_EQ(runs[1].id, "baseline--none--seed1");
  const auto config = run_config(c, runs[1]);
  EXPECT_EQ(config["model"]["head"].as<std::string>(), "naive");
  EXPECT_EQ(config["loss"]["variance"].as<std::string>(), "unbiased");
  EXPECT_EQ(config["train"]["seed"].as<int>(), 1);
  EXPECT_EQ(config["train"]["steps"].as<int>(), 2);
  EXPECT_EQ(config["guard"]["policy"].as<std::string>(), "halt");

  const auto bad = [&](const std::string& text) {
    std::ofstream(dir / "bad.yaml") << text;
    return testing::error_message<ConfigError>([&] { load_study_config((dir / "bad.yaml").string()); });
  };
  EXPECT_NE(bad("base: base.yaml\nseed: 3\n").find("seed"), std::string::npos);
  EXPECT_NE(bad("seeds: 3\n").find("base: required"), std::string::npos);
  EXPECT_NE(bad("base: base.yaml\nvariants: []\n").find("variants: empty; list at least one"), std::string::npos);
  EXPECT_NE(bad("base: base.yaml\nseeds: 0\n").find("seeds"), std::string::npos);
  EXPECT_NE(bad("base: base.yaml\nvariants: [{name: a}, {name: a}]\n").find("appears twice"), std::string::npos);
  const auto wrong_value = bad("base: base.yaml\nvariants: [{name: a, set: {model.head: sigmoid}}]\n");
  EXPECT_NE(wrong_value.find("run a--none--seed0"), std::string::npos) << wrong_value;
  EXPECT_NE(wrong_value.find("model.head"), std::string::npos) << wrong_value;
  EXPECT_NE(bad("base: nowhere.yaml\n").find("nowhere.yaml"), std::string::npos);
}

// Every study in configs/study/ validates every one of its runs (devices are resolved when a
// run starts, so the GPU presets read here too).
TEST(StudyConfig, EveryShippedStudyReads) {
  int studies = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(DEPTHGUARD_SOURCE_DIR) + "/configs/study")) {
    const auto name = entry.path().filename().string();
    if (entry.path().extension() != ".yaml" || name.find("-base") != std::string::npos) continue;
    ++studies;
    EXPECT_NO_THROW(load_study_config(entry.path().string())) << name;
  }
  EXPECT_GE(studies, 4);
  const auto mim = load_study_config(std::string(DEPTHGUARD_SOURCE_DIR) + "/configs/study/mim-gpu.yaml");
  EXPECT_EQ(study_runs(mim).size(), 18U);  // 2 variants x 3 precisions x 3 seeds
}

TEST(StudyCli, RunsReportsAndResumes) {
  testing::TempDir dir("study_cli");
  std::ofstream(dir / "base.yaml") << testing::tiny_run_yaml(4) << "guard: {snapshot_interval: 1}\n";
  // The naive head with a logit below the sigmoid's underflow halts at once (V2); the fused
  // head trains through the same start; an injected NaN halts it at step 2, after checkpoints.
  std::ofstream(dir / "study.yaml") << R"(base: base.yaml
seeds: 2
jobs: 2
set: {train.checkpoint_interval: 1}
variants:
  - {name: naive, set: {model.head: naive}}
  - {name: fused, set: {model.head: fused}}
  - {name: injected, set: {model.head: fused, guard.inject: gradient, guard.inject_step: 2}}
stresses:
  - {name: low-bias, set: {model.head_bias: -100.0}}
)";
  const auto out = (dir / "out").string();
  const auto args = "study --no-progress --config " + (dir / "study.yaml").string() + " --out " + out;
  // Inside a torchrun-style job the runs still train alone (they would wait for a group).
  const auto first = run_program("WORLD_SIZE=2 RANK=0 MASTER_PORT=1 " DEPTHGUARD_CLI, args);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("study: ignoring WORLD_SIZE"), std::string::npos) << first.output;
  EXPECT_NE(first.output.find("| naive | low-bias | 2 | 2 | 1.00 ["), std::string::npos) << first.output;
  EXPECT_NE(first.output.find("v2_log_sigmoid 2"), std::string::npos) << first.output;
  EXPECT_NE(first.output.find("| fused | low-bias | 2 | 0 | 0.00 ["), std::string::npos) << first.output;
  for (const char* f : {"study.md", "runs.csv", "study.json"}) EXPECT_TRUE(fs::exists(fs::path(out) / f)) << f;
  std::ifstream in(fs::path(out) / "study.json");
  const auto json = nlohmann::json::parse(in);
  ASSERT_EQ(json["runs"].size(), 6U);
  EXPECT_EQ(json["runs"][0]["status"], "halted");
  EXPECT_EQ(json["runs"][0]["nonfinite_step"], 0);
  EXPECT_EQ(json["runs"][2]["status"], "completed");
  EXPECT_TRUE(json["runs"][2]["metrics"].is_object());
  EXPECT_EQ(json["runs"][2]["metrics_from"], "final");
  EXPECT_TRUE(json["runs"][0]["metrics"].is_null()) << "halted before its first checkpoint";
  EXPECT_EQ(json["runs"][4]["cause"], "injected");
  EXPECT_EQ(json["runs"][4]["metrics_from"], "last good checkpoint (step 2)");
  EXPECT_TRUE(json["runs"][4]["metrics"].is_object());

  // Resume: nothing left to do; then one result removed is the only run done again.
  const auto again = run_cli(args);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("6 finished before, 0 to run"), std::string::npos) << again.output;
  fs::remove(fs::path(out) / "runs" / "fused--low-bias--seed1" / "result.json");
  const auto third = run_cli(args);
  ASSERT_EQ(third.exit_code, 0) << third.output;
  EXPECT_NE(third.output.find("5 finished before, 1 to run"), std::string::npos) << third.output;

  const auto missing = run_cli("study --config " + (dir / "none.yaml").string());
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find("none.yaml"), std::string::npos) << missing.output;
}

// A one-variant study of the tiny run started in the background (own_group: in a process
// group of its own, as a shell starts a job), once its first run has trained a few steps.
struct RunningStudy {
  RunningStudy(const std::string& name, int64_t steps, int seeds, bool own_group) : dir(name) {
    std::ofstream(dir / "base.yaml") << testing::tiny_run_yaml(steps);
    std::ofstream(dir / "study.yaml") << "base: base.yaml\nseeds: " << seeds
                                      << "\njobs: 1\nvariants: [{name: g, set: {}}]\n";
    pid = fork();
    if (pid == 0) {
      if (own_group) setpgid(0, 0);
      execl(DEPTHGUARD_CLI, DEPTHGUARD_CLI, "--log-level", "off", "study", "--no-progress", "--config",
            (dir / "study.yaml").c_str(), "--out", out.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    if (pid > 0) {
      EXPECT_TRUE(wait_for_lines((first_run / "metrics.jsonl").string(), 3)) << "the study did not start";
    }
  }
  testing::TempDir dir;
  fs::path out = dir / "out";
  fs::path first_run = out / "runs" / "g--none--seed0";
  pid_t pid = -1;
};

// Ctrl-C as a terminal sends it, to the whole process group: the running training saves,
// the study exits 130 without a result for it, and the same command finishes the study.
TEST(StudyCli, CtrlCSavesTheRunningRunAndTheSameCommandFinishes) {
  RunningStudy study("study_sigint", 150, 2, true);
  ASSERT_GE(study.pid, 0);
  const auto& [dir, out, first_run, pid] = std::tie(study.dir, study.out, study.first_run, study.pid);
  kill(-pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  EXPECT_TRUE(fs::exists(first_run / "checkpoints" / "last.pt"));
  EXPECT_FALSE(fs::exists(first_run / "result.json"));
  const auto again = run_cli("study --no-progress --config " + (dir / "study.yaml").string() + " --out " + out.string());
  ASSERT_EQ(again.exit_code, 0) << again.output;
  std::ifstream in(first_run / "result.json");
  const auto result = nlohmann::json::parse(in);
  EXPECT_EQ(result["status"], "completed");
  EXPECT_EQ(result["steps"], 150);
}

// kill -9 of the study itself: its running training gets SIGTERM from the kernel, saves
// and ends, so it neither runs on unattended nor holds its run directory.
TEST(StudyCli, ATrainingEndsWithItsKilledStudy) {
  RunningStudy study("study_sigkill", 100000, 1, false);
  ASSERT_GE(study.pid, 0);
  const auto& [out, run, pid] = std::tie(study.out, study.first_run, study.pid);
  EXPECT_THROW(DirectoryLock{out.string()}, std::runtime_error);  // the study holds its directory
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  bool released = false;
  for (int i = 0; i < 200 && !released; ++i) {  // up to 20 s
    try {
      DirectoryLock probe(run.string());
      released = true;
    } catch (const std::runtime_error&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  EXPECT_TRUE(released) << "the training outlived its study";
  EXPECT_TRUE(fs::exists(run / "checkpoints" / "last.pt"));
}

}  // namespace
}  // namespace depthguard
