// The depthguard binary, run as a user runs it.
#include <cstdio>
#include <string>

#include <sys/wait.h>

#include "test_support.h"

namespace depthguard {
namespace {

struct Run {
  int exit_code;
  std::string output;  // stdout and stderr
};

Run run_cli(const std::string& args) {
  const std::string command = std::string(DEPTHGUARD_CLI) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::string output;
  char buffer[4096];
  while (fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

TEST(Cli, NumericsPrintsAllThreeVulnerabilities) {
  const auto r = run_cli("--threads 1 numerics");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  for (const char* expected : {"V1", "V2", "V3", "nan", "-inf", "using 1 intra-op thread"}) {
    EXPECT_NE(r.output.find(expected), std::string::npos) << expected << "\n" << r.output;
  }
}

TEST(Cli, UnknownSubcommandFails) {
  const auto r = run_cli("frobnicate");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("subcommand"), std::string::npos) << r.output;
}

TEST(Cli, NoSubcommandFails) { EXPECT_NE(run_cli("").exit_code, 0); }

TEST(Cli, NegativeThreadsAreRejected) {
  const auto r = run_cli("--threads -3 numerics");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--threads"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace depthguard
