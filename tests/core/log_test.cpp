#include "depthguard/core/log.h"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace depthguard {
namespace {

// The sink a test installs, removed again at its end (the default: stderr).
struct InstalledSink {
  explicit InstalledSink(LogSink sink) { set_log_sink(std::move(sink)); }
  ~InstalledSink() { set_log_sink(nullptr); }
};

TEST(Log, EveryMessageGoesToTheInstalledSinkWithItsLevel) {
  std::vector<std::pair<LogLevel, std::string>> seen;
  InstalledSink sink([&](LogLevel level, const std::string& message) { seen.emplace_back(level, message); });
  log_message(LogLevel::Debug, "d");
  log_message(LogLevel::Warn, "step 3: retrying the step");
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], std::make_pair(LogLevel::Debug, std::string("d")));
  EXPECT_EQ(seen[1], std::make_pair(LogLevel::Warn, std::string("step 3: retrying the step")));
}

TEST(Log, WithoutASinkInfoAndAboveGoToStderrAndDebugNowhere) {
  set_log_sink(nullptr);
  ::testing::internal::CaptureStderr();
  log_message(LogLevel::Debug, "not shown");
  log_message(LogLevel::Warn, "a spike");
  log_message(LogLevel::Error, "");
  const auto err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err, "[depthguard] [warning] a spike\n[depthguard] [error] \n");
}

}  // namespace
}  // namespace depthguard
