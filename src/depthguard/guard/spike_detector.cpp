#include "depthguard/guard/spike_detector.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace depthguard {

double Spike::z() const { return (value - mean) / std; }

double Spike::ratio() const { return mean != 0 ? value / mean : std::numeric_limits<double>::infinity(); }

SpikeDetector::SpikeDetector(std::string figure, double z, double alpha, int64_t warmup)
    : figure_(std::move(figure)), z_(z), alpha_(alpha), warmup_(warmup) {}

double SpikeDetector::std() const { return std::max(std::sqrt(var_), 1e-6 * std::abs(mean_)); }

std::optional<Spike> SpikeDetector::add(int64_t step, double value) {
  if (!std::isfinite(value)) return std::nullopt;
  if (count_ < warmup_) {  // Welford: the warm-up's plain mean and (population) variance
    ++count_;
    const double delta = value - mean_;
    mean_ += delta / static_cast<double>(count_);
    var_ += (delta * (value - mean_) - var_) / static_cast<double>(count_);
    return std::nullopt;
  }
  ++count_;
  std::optional<Spike> spike;
  const double spread = std();
  if (z_ > 0 && spread > 0 && value > mean_ + z_ * spread) {
    spike = Spike{step, figure_, value, mean_, spread};
    value = mean_ + z_ * spread;  // the estimate learns the bar, not the spike
  }
  const double delta = value - mean_;
  mean_ += (1 - alpha_) * delta;
  var_ = alpha_ * (var_ + (1 - alpha_) * delta * delta);
  return spike;
}

}  // namespace depthguard
