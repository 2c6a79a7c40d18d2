#include "depthguard/guard/spike_detector.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

namespace depthguard {

namespace {

// The median of `v` (not empty), reordering it.
double median_of(std::vector<double>& v) {
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  if (v.size() % 2 == 1) return *mid;
  return (*mid + *std::max_element(v.begin(), mid)) / 2;
}

// The normal's MAD-to-standard-deviation factor: a MAD of a Gaussian times this is its sigma.
constexpr double kMadToSigma = 1.4826;

}  // namespace

SpikeDetector::SpikeDetector(std::string figure, double ratio, double mads, int64_t window, int64_t warmup)
    : figure_(std::move(figure)),
      log_ratio_(ratio > 0 ? std::log(ratio) : 0),
      mads_(mads),
      on_(ratio > 0),
      window_(std::max<int64_t>(window, 1)),
      warmup_(std::max<int64_t>(warmup, 1)) {}

double SpikeDetector::median() const {
  if (logs_.empty()) return 0;
  std::vector<double> logs(logs_.begin(), logs_.end());
  return std::exp(median_of(logs));
}

std::optional<Spike> SpikeDetector::add(int64_t step, double value) {
  if (!std::isfinite(value) || value <= 0) return std::nullopt;
  const double log_value = std::log(value);
  std::optional<Spike> spike;
  bool above = false;
  if (on_ && count_ >= warmup_) {
    std::vector<double> logs(logs_.begin(), logs_.end());
    const double centre = median_of(logs);
    for (auto& l : logs) l = std::abs(l - centre);
    const double spread = kMadToSigma * median_of(logs);
    const double rise = log_value - centre;
    above = rise > log_ratio_ && rise > mads_ * spread;
    if (above && !above_) {
      spike = Spike{step, figure_, value, std::exp(centre),
                    spread > 0 ? rise / spread : std::numeric_limits<double>::infinity(),
                    static_cast<int64_t>(logs_.size())};
    }
  }
  above_ = above;
  logs_.push_back(log_value);
  if (static_cast<int64_t>(logs_.size()) > window_) logs_.pop_front();
  ++count_;
  return spike;
}

}  // namespace depthguard
