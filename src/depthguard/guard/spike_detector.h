#pragma once
// Early warning: a running estimate of one training figure (the loss, the gradient norm) and
// the healthy steps far above it, which often come before a non-finite one.
//
// The estimate is ZClip's (Kumar et al. 2025): an exponential moving average of the mean and
// of the variance, factor alpha (0.97), after a warm-up of plain mean and variance over the
// first values (25). A value more than z standard deviations above the mean is a spike (the
// sentinel's default z is 4, where ZClip clips at 2.5: a warning should be rarer than a
// clip); the estimate then takes mean + z * std in its place, so one spike
// does not raise the bar for the next, and a lasting shift is learnt within ~1 / (1 - alpha)
// steps.
#include <cstdint>
#include <optional>
#include <string>

namespace depthguard {

/// One healthy step far above its figure's running estimate.
struct Spike {
  int64_t step = 0;
  std::string figure;  ///< "loss", "grad_norm"
  double value = 0, mean = 0, std = 0;
  double z() const;      ///< (value - mean) / std
  double ratio() const;  ///< value / mean (+inf for a mean of 0)
};

class SpikeDetector {
 public:
  /// z > 0 (0 turns the detector off: add never finds a spike), alpha in (0, 1), warmup >= 1;
  /// checked by the Sentinel's options.
  SpikeDetector(std::string figure, double z, double alpha, int64_t warmup);

  /// Adds the value of `step`; returns the spike when it is one. Domain and edges: a
  /// non-finite value is ignored (no spike, estimate unchanged: the sentinel handles it);
  /// the first `warmup` values only build the estimate (N = 0 or 1 has no spread); a spread
  /// of 0 (a constant figure) counts as 1e-6 of the mean's size, so only a real jump is a
  /// spike; values below the mean are never spikes.
  std::optional<Spike> add(int64_t step, double value);

  int64_t count() const { return count_; }
  double mean() const { return mean_; }
  double std() const;

 private:
  std::string figure_;
  double z_, alpha_;
  int64_t warmup_;
  int64_t count_ = 0;
  double mean_ = 0, var_ = 0;  ///< a plain (Welford) estimate during warm-up, the EMA after
};

}  // namespace depthguard
