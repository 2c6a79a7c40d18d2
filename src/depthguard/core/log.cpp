#include "depthguard/core/log.h"

#include <cstdio>
#include <memory>
#include <mutex>
#include <utility>

namespace depthguard {

namespace {

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warn: return "warning";
    case LogLevel::Error: return "error";
  }
  return "?";
}

void to_stderr(LogLevel level, const std::string& message) {
  if (level == LogLevel::Debug) return;
  std::fprintf(stderr, "[depthguard] [%s] %s\n", level_name(level), message.c_str());
}

// The sink is copied out under the lock and called outside it: a sink may take a lock of its
// own (Python's GIL) that another thread holds while it logs.
std::mutex sink_mutex;
std::shared_ptr<const LogSink> installed_sink;

}  // namespace

void set_log_sink(LogSink sink) {
  std::lock_guard lock(sink_mutex);
  installed_sink = sink ? std::make_shared<const LogSink>(std::move(sink)) : nullptr;
}

void log_message(LogLevel level, const std::string& message) {
  std::shared_ptr<const LogSink> sink;
  {
    std::lock_guard lock(sink_mutex);
    sink = installed_sink;
  }
  if (sink) {
    (*sink)(level, message);
  } else {
    to_stderr(level, message);
  }
}

}  // namespace depthguard
