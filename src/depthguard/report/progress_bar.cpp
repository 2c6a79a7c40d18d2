#include "depthguard/report/progress_bar.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace depthguard {

ProgressBar::ProgressBar(std::string label, int64_t total, std::FILE* out)
    : label_(std::move(label)),
      total_(std::max<int64_t>(total, 0)),
      out_(out),
      tty_(out != nullptr && ::isatty(::fileno(out)) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() {
  if (!finished_) finish();
}

double ProgressBar::rate() const {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return elapsed > 0 ? done_ / elapsed : 0.0;
}

std::string ProgressBar::format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  const auto s = static_cast<int64_t>(std::lround(seconds));
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

void ProgressBar::advance(int64_t n, const std::string& status) {
  done_ += n;
  status_ = status;
  const auto now = std::chrono::steady_clock::now();
  if (tty_) {
    if (now - last_draw_ >= std::chrono::milliseconds(100)) draw(false);
  } else if (total_ > 0 && done_ * 10 / total_ != last_decile_) {
    draw(false);
  }
}

void ProgressBar::finish() {
  finished_ = true;
  if (tty_ || drawn_done_ != done_) draw(true);
}

void ProgressBar::draw(bool final) {
  if (out_ == nullptr) return;
  last_draw_ = std::chrono::steady_clock::now();
  drawn_done_ = done_;
  if (total_ > 0) last_decile_ = done_ * 10 / total_;
  constexpr int kWidth = 30;
  const double fraction = total_ > 0 ? std::min(1.0, double(done_) / total_) : 1.0;
  const int filled = static_cast<int>(fraction * kWidth);
  const double r = rate();
  const double eta = r > 0 ? (total_ - done_) / r : NAN;
  const double elapsed = std::chrono::duration<double>(last_draw_ - start_).count();
  const auto line = fmt::format("{} [{}{}] {}/{} {:.1f} it/s {}{}{}", label_, std::string(filled, '#'),
                                std::string(kWidth - filled, '.'), done_, total_, r,
                                final ? format_duration(elapsed) + " elapsed" : "ETA " + format_duration(eta),
                                status_.empty() ? "" : "  ", status_);
  // A terminal redraws the line in place; a log gets one line per draw.
  if (tty_) {
    fmt::print(out_, "\r{}\033[K{}", line, final ? "\n" : "");
  } else {
    fmt::print(out_, "{}\n", line);
  }
  std::fflush(out_);
}

}  // namespace depthguard
