// `train --nproc 2`: two ranks over Gloo on the loopback, as a user runs them.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli_run.h"
#include "data/data_test_support.h"
#include "depthguard/core/errors.h"
#include "depthguard/config/train_config.h"
#include "depthguard/dist/dist_environment.h"
#include "depthguard/train/saved_model.h"
#include "test_paths.h"
#include "test_support.h"
#include "train/tiny_run.h"

namespace depthguard {
namespace {

class DistributedCli : public ::testing::Test {
 protected:
  void SetUp() override { std::ofstream(dir / "tiny.yaml") << testing::tiny_run_yaml(4) << "dist: {timeout_s: 30}\n"; }
  CliRun train(const std::string& more) {
    return run_cli("--threads 2 train --no-progress --nproc 2 --config " + (dir / "tiny.yaml").string() + " --out " +
                   run.string() + " " + more);
  }
  testing::TempDir dir{std::string("cli_dist_") + ::testing::UnitTest::GetInstance()->current_test_info()->name()};
  std::filesystem::path run = dir / "run";
};

TEST_F(DistributedCli, TwoRanksTrainAndRankZeroAloneWritesTheRun) {
  const auto r = train("");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("2 ranks of 1 thread(s)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("rank 0 of 2 on cpu; batch size 2 per rank"), std::string::npos) << r.output;
  const auto rank1 = testing::file_content(run / "rank-1.log");
  EXPECT_NE(rank1.find("rank 1 of 2"), std::string::npos) << rank1;
  EXPECT_EQ(rank1.find("run directory:"), std::string::npos) << rank1;  // rank 0 reports
  EXPECT_EQ(nlohmann::json::parse(testing::file_content(run / "summary.json"))["steps"], 4);
  EXPECT_TRUE(std::filesystem::exists(run / "checkpoints" / "last.pt"));
  // The same command resumes: every rank loads rank 0's checkpoint.
  const auto more = train("--resume --set train.steps=6");
  ASSERT_EQ(more.exit_code, 0) << more.output;
  EXPECT_EQ(nlohmann::json::parse(testing::file_content(run / "summary.json"))["steps"], 6);
}

// Without batch statistics (model.norm: group) and with a loss that is a mean over pixels
// (l1, dense ground truth), 2 ranks of batch 2 train the weights of 1 process of batch 4:
// the ranks' shards of each epoch are the single process's batches, split.
TEST_F(DistributedCli, TwoRanksOfTwoTrainTheWeightsOfOneProcessOfFour) {
  // SGD: Adam's first steps are about lr * sign(gradient), which float noise flips where a
  // gradient is near zero.
  const std::string same = " --set model.norm=group --set loss.name=l1 --set optimizer.name=sgd --set train.steps=3";
  ASSERT_EQ(train(same).exit_code, 0);
  const auto single = run_cli("--threads 1 train --no-progress --config " + (dir / "tiny.yaml").string() + " --out " +
                              (dir / "single").string() + same + " --set data.batch_size=4");
  ASSERT_EQ(single.exit_code, 0) << single.output;
  const auto config = read_train_config(load_config((run / "config.yaml").string()));
  auto a = load_model((run / "checkpoints" / "last.pt").string(), config.model, false);
  auto b = load_model((dir / "single" / "checkpoints" / "last.pt").string(), config.model, false);
  const auto pb = b->named_parameters();
  for (const auto& p : a->named_parameters()) {
    EXPECT_TRUE(torch::allclose(p.value(), pb[p.key()], 1e-4, 1e-6))
        << p.key() << " differs by " << (p.value() - pb[p.key()]).abs().max().item<double>();
  }
}

// guard.policy halt: the injected NaN stops both ranks at the same step, and the launcher
// exits 3 as a single process would.
TEST_F(DistributedCli, AHaltStopsEveryRankWithExitThree) {
  const auto r = train("--inject image:nan:2 --set guard.policy=halt");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("step 2: non-finite input on rank(s) 0, 1"), std::string::npos) << r.output;
  EXPECT_NE(testing::file_content(run / "rank-1.log").find("step 2: non-finite input"), std::string::npos);
  const auto metrics = testing::file_content(run / "metrics.jsonl");
  EXPECT_NE(metrics.find(R"("ranks":[0,1])"), std::string::npos) << metrics;
}

// A transient gradient fault on both ranks (the injector runs on each): every rank replays
// its own step alone, finds it finite, and both retry the same step; the run trains the
// weights of a run without the fault, bit for bit.
TEST_F(DistributedCli, ATransientFaultIsRetriedOnEveryRankAsIfNothingHappened) {
  const auto faulty = train("--inject gradient:nan:2:once");
  ASSERT_EQ(faulty.exit_code, 0) << faulty.output;
  const auto clean = run_cli("--threads 2 train --no-progress --nproc 2 --config " + (dir / "tiny.yaml").string() +
                             " --out " + (dir / "clean").string());
  ASSERT_EQ(clean.exit_code, 0) << clean.output;
  const auto summary = nlohmann::json::parse(testing::file_content(run / "summary.json"));
  ASSERT_EQ(summary["transient_steps"].size(), 1u) << summary.dump(2);
  EXPECT_EQ(summary["transient_steps"][0]["step"], 2);
  EXPECT_EQ(summary["transient_steps"][0]["action"], "retry");
  EXPECT_NE(testing::file_content(run / "rank-1.log").find("retrying the step"), std::string::npos);
  const auto config = read_train_config(load_config((run / "config.yaml").string()));
  auto a = load_model((run / "checkpoints" / "last.pt").string(), config.model, false);
  auto b = load_model((dir / "clean" / "checkpoints" / "last.pt").string(), config.model, false);
  const auto pb = b->named_parameters();
  for (const auto& p : a->named_parameters()) EXPECT_TRUE(torch::equal(p.value(), pb[p.key()])) << p.key();
}

// The launcher of a long --nproc 2 run in its own process group (as a shell's job), started
// once training is under way.
pid_t start_long_run(const std::filesystem::path& dir) {
  std::ofstream(dir / "long.yaml") << testing::tiny_run_yaml(400) << "dist: {timeout_s: 120}\n";
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    const int log = open((dir / "launcher.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
    execl(DEPTHGUARD_CLI, DEPTHGUARD_CLI, "--threads", "2", "--log-level", "warn", "train", "--no-progress", "--nproc",
          "2", "--config", (dir / "long.yaml").c_str(), "--out", (dir / "run").c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  EXPECT_TRUE(wait_for_lines((dir / "run" / "metrics.jsonl").string(), 3)) << "the run did not start";
  return pid;
}

int exit_status(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The process whose environment holds RANK=`rank` and names `parent` as its starter.
pid_t rank_process(pid_t parent, int rank) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const auto environment = testing::file_content(entry.path() / "environ");
    const auto has = [&](const std::string& v) { return environment.find(std::string(1, '\0') + v + '\0') != std::string::npos ||
                                                        environment.rfind(v + '\0', 0) == 0; };
    if (has("RANK=" + std::to_string(rank)) && has("DEPTHGUARD_PARENT_PID=" + std::to_string(parent))) {
      return static_cast<pid_t>(std::stol(entry.path().filename().string()));
    }
  }
  return -1;
}

// Ctrl-C reaches every rank (the terminal signals the job's process group): all stop after
// the same step, rank 0 saves, and the same command resumes.
TEST(DistributedCliSignals, CtrlCStopsEveryRankAndTheRunResumes) {
  testing::TempDir dir("cli_dist_sigint");
  const pid_t launcher = start_long_run(dir / "");
  kill(-launcher, SIGINT);
  EXPECT_EQ(exit_status(launcher), 130);
  EXPECT_TRUE(std::filesystem::exists(dir / "run" / "checkpoints" / "last.pt"));
  const auto resumed = run_cli("--threads 2 train --no-progress --nproc 2 --resume --out " + (dir / "run").string() +
                               " --set train.steps=30");
  EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(nlohmann::json::parse(testing::file_content(dir / "run" / "summary.json"))["steps"], 30);
}

// kill -9 of rank 1: rank 0 stops at its next collective (about a second; the bound is half
// of dist.timeout_s, so that only a wait for the timeout fails it, not a loaded machine),
// naming the last step it completed, and the launcher names the killed rank.
TEST(DistributedCliSignals, AKilledRankStopsTheOthersAndIsNamed) {
  testing::TempDir dir("cli_dist_kill");
  const pid_t launcher = start_long_run(dir / "");
  const pid_t rank1 = rank_process(launcher, 1);
  ASSERT_GT(rank1, 0);
  const auto start = std::chrono::steady_clock::now();
  kill(rank1, SIGKILL);
  EXPECT_EQ(exit_status(launcher), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
  const auto log = testing::file_content(dir / "launcher.log");
  EXPECT_NE(log.find("rank 1 was killed by signal 9"), std::string::npos) << log;
  EXPECT_NE(log.find("rank 0 of 2: another rank died, failed or stopped answering after step "), std::string::npos)
      << log;
  EXPECT_FALSE(std::filesystem::exists(dir / "run" / "summary.json"));
}

// A rank that cannot reach the others stops within dist.timeout_s, naming the address.
TEST(DistributedEnvironment, ALoneRankStopsAtTheTimeoutNamingTheAddress) {
  testing::TempDir dir("cli_dist_alone");
  std::ofstream(dir / "tiny.yaml") << testing::tiny_run_yaml(2) << "dist: {timeout_s: 2}\n";
  const auto r = run_program("RANK=1 WORLD_SIZE=2 MASTER_PORT=1 " DEPTHGUARD_CLI,
                             "train --no-progress --config " + (dir / "tiny.yaml").string() + " --out " +
                                 (dir / "run").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("rank 1 of 2 could not join the group at 127.0.0.1:1"), std::string::npos) << r.output;
}

TEST(DistributedEnvironment, TheTorchrunVariablesAreReadAndCheckedByName) {
  ::unsetenv("WORLD_SIZE");
  EXPECT_FALSE(dist_options_from_environment().has_value());
  ::setenv("WORLD_SIZE", "4", 1);
  ::setenv("RANK", "3", 1);
  ::setenv("MASTER_ADDR", "node7", 1);
  ::setenv("MASTER_PORT", "1234", 1);
  const auto o = dist_options_from_environment(DistOptions().timeout_s(9));
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->rank(), 3);
  EXPECT_EQ(o->world_size(), 4);
  EXPECT_EQ(o->master_addr(), "node7");
  EXPECT_EQ(o->master_port(), 1234);
  EXPECT_EQ(o->timeout_s(), 9);
  EXPECT_EQ(o->local_rank(), 0);  // unset: 0
  EXPECT_FALSE(o->agent_store());  // unset: False
  ::setenv("TORCHELASTIC_USE_AGENT_STORE", "True", 1);
  EXPECT_TRUE(dist_options_from_environment()->agent_store());
  ::setenv("TORCHELASTIC_USE_AGENT_STORE", "False", 1);
  EXPECT_FALSE(dist_options_from_environment()->agent_store());
  ::setenv("TORCHELASTIC_USE_AGENT_STORE", "1", 1);
  EXPECT_EQ(testing::error_message<InvalidArgument>([] { dist_options_from_environment(); }),
            "TORCHELASTIC_USE_AGENT_STORE: '1' is neither True nor False");
  ::unsetenv("TORCHELASTIC_USE_AGENT_STORE");
  ::setenv("LOCAL_RANK", "2", 1);
  EXPECT_EQ(dist_options_from_environment()->local_rank(), 2);
  ::setenv("LOCAL_RANK", "4", 1);
  EXPECT_EQ(testing::error_message<InvalidArgument>([] { dist_options_from_environment(); }),
            "LOCAL_RANK: '4' is not a whole number in [0, 3]");
  ::unsetenv("LOCAL_RANK");
  ::setenv("RANK", "4", 1);
  EXPECT_EQ(testing::error_message<InvalidArgument>([] { dist_options_from_environment(); }),
            "RANK: '4' is not a whole number in [0, 3]");
  ::setenv("RANK", "x", 1);
  EXPECT_NE(testing::error_message<InvalidArgument>([] { dist_options_from_environment(); }).find("RANK: 'x'"),
            std::string::npos);
  ::unsetenv("RANK");
  EXPECT_EQ(testing::error_message<InvalidArgument>([] { dist_options_from_environment(); }),
            "RANK: not set (needed with WORLD_SIZE)");
  for (const char* v : {"WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"}) ::unsetenv(v);
}

}  // namespace
}  // namespace depthguard
