#include "depthguard/train/step_profiler.h"

#include <filesystem>

#include <spdlog/spdlog.h>

#include "depthguard/report/operator_profile.h"
#include "depthguard/runtime/atomic_file.h"

namespace depthguard {

namespace {
constexpr int64_t kWarmupSteps = 1;
constexpr size_t kLoggedOperators = 12;
constexpr size_t kWrittenOperators = 200;
}  // namespace

StepProfiler::StepProfiler(int64_t steps, std::string directory) : steps_(steps), directory_(std::move(directory)) {}

void StepProfiler::before_step() {
  if (steps_ > 0 && attempted_ == kWarmupSteps) profiler_.start();
}

void StepProfiler::after_step() {
  ++attempted_;
  if (!profiler_.recording()) return;
  ++recorded_steps_;
  if (recorded_steps_ == steps_) {
    profiler_.stop();
    write();
  }
}

void StepProfiler::finish() {
  if (!profiler_.recording()) return;
  profiler_.stop();
  if (recorded_steps_ > 0) write();
}

void StepProfiler::write() {
  namespace fs = std::filesystem;
  fs::create_directories(directory_);
  const auto operators = profiler_.operators();
  const auto table = [&](size_t rows) {
    return operator_table(operators, profiler_.recorded_ms(), recorded_steps_, rows);
  };
  const auto text_path = (fs::path(directory_) / "operators.txt").string();
  const auto trace_path = (fs::path(directory_) / "trace.json").string();
  write_file_atomically(text_path, table(kWrittenOperators));
  write_chrome_trace(trace_path, profiler_.trace());
  spdlog::info("profile of {} step(s), top operators by self time:\n{}", recorded_steps_, table(kLoggedOperators));
  spdlog::info("profile written: {} and {} (open in chrome://tracing or ui.perfetto.dev)", text_path, trace_path);
}

}  // namespace depthguard
