// examples/custom_loop.cpp, run as a user runs it: the sentinel skips an injected NaN in
// a plain LibTorch loop, and names the producer of a NaN in the user's own model.
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "cli/cli_run.h"

namespace depthguard {
namespace {

TEST(CustomLoopExample, SkipsTheInjectedNanAndNamesTheInnerSqrt) {
  const auto run = run_program(DEPTHGUARD_CUSTOM_LOOP, "");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("trained 200 steps, 1 skipped"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("step 5: non-finite input"), std::string::npos) << run.output;
  // The producer: a forward sqrt in net.head whose input is negative but finite (the
  // outer sqrt's input would hold NaN).
  const std::regex producer(
      "first non-finite operator: aten::sqrt \\(forward\\) in module 'net.head'\\n"
      "    input 0: [^\\n]*; 0 zeros, [1-9][0-9]* negative, 0 NaN, 0 \\+inf, 0 -inf\\n");
  EXPECT_TRUE(std::regex_search(run.output, producer)) << run.output;
  EXPECT_NE(run.output.find("stopped by the sentinel: step 0: non-finite loss"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace depthguard
