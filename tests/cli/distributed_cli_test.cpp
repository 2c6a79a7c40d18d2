// `train --nproc 2`: two ranks over Gloo on the loopback, as a user runs them.
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli_run.h"
#include "data/data_test_support.h"
#include "depthguard/core/errors.h"
#include "depthguard/dist/dist_environment.h"
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
  EXPECT_NE(r.output.find("rank 0 of 2; batch size 2 per rank"), std::string::npos) << r.output;
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

// guard.policy halt: the injected NaN stops both ranks at the same step, and the launcher
// exits 3 as a single process would.
TEST_F(DistributedCli, AHaltStopsEveryRankWithExitThree) {
  const auto r = train("--inject image:nan:2 --set guard.policy=halt");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("step 2: non-finite input on rank(s) 0, 1"), std::string::npos) << r.output;
  EXPECT_NE(testing::file_content(run / "rank-1.log").find("step 2: non-finite input"), std::string::npos);
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
