// A stop request is recorded, not acted on; repeated SIGTERMs (a dying multi-threaded
// parent sends one per thread) leave the process alive to save its work.
#include "depthguard/runtime/interrupt.h"

#include <csignal>

#include <gtest/gtest.h>

namespace depthguard {
namespace {

TEST(Interrupt, RepeatedSigtermsOnlyRecordTheRequest) {
  install_interrupt_handler();
  EXPECT_FALSE(interrupt_requested());
  std::raise(SIGTERM);
  std::raise(SIGTERM);
  std::raise(SIGTERM);
  EXPECT_TRUE(interrupt_requested());  // still here: the default action did not run
  install_interrupt_handler();
  EXPECT_FALSE(interrupt_requested());
  std::signal(SIGTERM, SIG_DFL);
  std::signal(SIGINT, SIG_DFL);
}

}  // namespace
}  // namespace depthguard
