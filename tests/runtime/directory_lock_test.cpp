// One holder per directory; the holder's pid in the refusal; no stale lock after the holder.
#include "depthguard/runtime/directory_lock.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include <gtest/gtest.h>

#include "data/data_test_support.h"

namespace depthguard {
namespace {

std::string message_of_second_lock(const std::string& dir) {
  try {
    DirectoryLock second(dir);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(DirectoryLock, ASecondHolderIsRefusedNamingTheFirstsPid) {
  testing::TempDir dir("lock_second");
  const auto run = (dir / "run").string();
  auto first = std::make_unique<DirectoryLock>(run);  // creates the directory
  EXPECT_TRUE(std::filesystem::is_directory(run));
  const auto message = message_of_second_lock(run);
  EXPECT_NE(message.find(run + ": in use by another depthguard process (pid " + std::to_string(::getpid()) + ")"),
            std::string::npos)
      << message;
  first.reset();
  EXPECT_EQ(message_of_second_lock(run), "");  // released with its holder
}

TEST(DirectoryLock, AStaleLockFileDoesNotBlock) {
  testing::TempDir dir("lock_stale");
  std::ofstream(dir / ".lock") << "999999\n";  // left by a killed process: no flock held
  EXPECT_NO_THROW(DirectoryLock(dir.str()));
}

}  // namespace
}  // namespace depthguard
