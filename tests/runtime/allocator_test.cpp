// The programs run on the malloc the build chose (tcmalloc by default; glibc's in sanitizer
// builds or with DEPTHGUARD_ALLOCATOR=system), checked in the running process.
#include "depthguard/runtime/allocator.h"

#include <gtest/gtest.h>

#include "cli/cli_run.h"
#include "test_paths.h"

namespace depthguard {
namespace {

TEST(Allocator, TheTestProgramRunsOnTheLinkedMalloc) { EXPECT_EQ(active_allocator(), DEPTHGUARD_ALLOCATOR); }

TEST(Allocator, TheCliSaysWhichMallocItRunsOn) {
  const auto run = run_cli("--threads 1 numerics");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find(std::string("malloc: ") + DEPTHGUARD_ALLOCATOR), std::string::npos) << run.output;
}

}  // namespace
}  // namespace depthguard
