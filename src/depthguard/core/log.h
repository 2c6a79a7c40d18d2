#pragma once
// Where the guard tier's messages go. The guard tier (docs/architecture.md) links LibTorch
// alone, so it cannot log through spdlog as the trainer does: it hands each message to the
// sink the program installed. The CLI installs spdlog's default logger (apps/depthguard/
// main.cpp), the Python package Python's `logging` ("depthguard"); a program that installs
// nothing (the trainer used as a library, examples/custom_loop) gets them on stderr.
#include <functional>
#include <string>

namespace depthguard {

enum class LogLevel { Debug, Info, Warn, Error };

using LogSink = std::function<void(LogLevel, const std::string&)>;

/// Sends every later message to `sink` (thread-safe); an empty sink restores stderr.
void set_log_sink(LogSink sink);

/// Hands `message` to the installed sink. The stderr sink prints Info and above as
/// "[depthguard] [warning] message".
void log_message(LogLevel level, const std::string& message);

}  // namespace depthguard
