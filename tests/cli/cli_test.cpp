// The depthguard binary, run as a user runs it.
#include <filesystem>
#include <string>

#include "cli/cli_run.h"

namespace depthguard {
namespace {

TEST(Cli, NumericsPrintsAllThreeVulnerabilities) {
  const auto r = run_cli("--threads 1 numerics");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  for (const char* expected : {"V1", "V2", "V3", "nan", "-inf", "using 1 intra-op thread"}) {
    EXPECT_NE(r.output.find(expected), std::string::npos) << expected << "\n" << r.output;
  }
}

TEST(Cli, AnUnknownCommandIsNamed) {
  for (const char* args : {"frobnicate", "--threads 1 frobnicate --json"}) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_NE(r.output.find("'frobnicate' is not a command; the commands are numerics, synth, train"),
              std::string::npos)
        << r.output;
  }
}

TEST(Cli, NoSubcommandFails) { EXPECT_NE(run_cli("").exit_code, 0); }

TEST(Cli, NegativeThreadsAreRejected) {
  const auto r = run_cli("--threads -3 numerics");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--threads"), std::string::npos) << r.output;
}

TEST(Cli, SynthWritesResumesAndNamesBadOptions) {
  const auto dir = std::filesystem::temp_directory_path() / "depthguard_cli_synth";
  std::filesystem::remove_all(dir);
  const auto args = "synth --out " + dir.string() + " --count 3 --height 24 --width 32 --holes 1";
  const auto first = run_cli(args);
  EXPECT_EQ(first.exit_code, 0) << first.output;
  EXPECT_TRUE(std::filesystem::exists(dir / "depth/000002.png"));
  EXPECT_TRUE(std::filesystem::exists(dir / "train.txt"));
  const auto again = run_cli(args);
  EXPECT_NE(again.output.find("wrote 0 scenes (3 already there)"), std::string::npos) << again.output;
  const auto other = run_cli(args + " --seed 5");
  EXPECT_EQ(other.exit_code, 2) << other.output;
  EXPECT_NE(other.output.find("other options"), std::string::npos) << other.output;
  const auto bad = run_cli("synth --out " + dir.string() + " --sparsity lidar");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("--sparsity: 'lidar' is not one of dense, random, scanlines"), std::string::npos) << bad.output;
  EXPECT_NE(run_cli("synth --count 3").exit_code, 0);  // --out is required
  // Ranges are said as meant, not as CLI11's "0 to 1797693134862315708...".
  const auto negative = run_cli("synth --out " + dir.string() + " --count -1");
  EXPECT_NE(negative.exit_code, 0);
  EXPECT_NE(negative.output.find("--count: must be > 0, got -1"), std::string::npos) << negative.output;
  EXPECT_EQ(negative.output.find("179769"), std::string::npos) << negative.output;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace depthguard
