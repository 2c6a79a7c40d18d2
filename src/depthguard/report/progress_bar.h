#pragma once
// A console progress bar with rate and ETA for every long-running command.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace depthguard {

class ProgressBar {
 public:
  /// Draws on `out` (stderr by default). On a terminal the bar redraws in place at most
  /// ten times a second; elsewhere (CI logs, pipes) it prints a line every 10% of `total`.
  /// `out` = nullptr draws nothing (the rate is still measured).
  ProgressBar(std::string label, int64_t total, std::FILE* out = stderr);
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  ~ProgressBar();

  /// Records `n` more items done; `status` is shown after the rate (for example a loss).
  void advance(int64_t n = 1, const std::string& status = "");
  /// Draws the final state and ends the line; called by the destructor if needed.
  void finish();

  /// "12.3 it/s" style rate and "1:02:03" style ETA of the current state.
  double rate() const;
  static std::string format_duration(double seconds);

 private:
  void draw(bool final);

  std::string label_, status_;
  int64_t total_, done_ = 0;
  std::FILE* out_;
  bool tty_, finished_ = false;
  int64_t last_decile_ = -1, drawn_done_ = -1;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace depthguard
