#pragma once
// Early warning: a running estimate of one training figure (the loss, the gradient norm) and
// the healthy steps far above it, which often come before a non-finite one.
//
// The estimate is robust, on a log scale: the median and the median absolute deviation (MAD)
// of the logs of the last `window` values (50). A value is a spike when it is at least `ratio`
// (10) times that median and its log lies more than `mads` (3) MADs above the median's, after
// `warmup` (25) values. Why not ZClip's mean and standard deviation: a healthy gradient norm
// is heavy-tailed (7x its median in the demo's healthy run), so a z-score of 4 warned on 46 of
// its 2500 steps, and one spike inflates the EMA's spread until the next real one is missed.
// The ratio makes a warning mean a jump of an order of magnitude; the MADs keep a figure that
// already swings by orders of magnitude (a dead network's gradient of 1e-20) quiet. A figure
// that stays above the bar warns once, at the step it crossed it (docs/guard.md, "Spike
// warnings", has the measured precision and recall).
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

namespace depthguard {

/// What a warning means: how often one came before a divergence, and how often a healthy step
/// warned, in the runs docs/guard.md "Spike warnings" measures (the log line and the HTML
/// report say it next to each warning).
inline constexpr const char* kSpikeMeaning =
    "measured on 232 runs, a warning came before 26 of the 32 divergences that began after the warm-up (a median "
    "40 steps ahead) and on 1 healthy step in 460 (docs/guard.md, \"Spike warnings\")";

/// One healthy step far above its figure's running median.
struct Spike {
  int64_t step = 0;
  std::string figure;  ///< "loss", "grad_norm"
  double value = 0;
  double median = 0;  ///< the running median it was compared with (> 0)
  double mads = 0;    ///< how many MADs of the logs its log lies above the median's (+inf for a MAD of 0)
  int64_t over = 0;   ///< the values the median was taken over (spike_window, or fewer early on)
  double ratio() const { return value / median; }
};

class SpikeDetector {
 public:
  /// ratio > 1 (0 turns the detector off: add never finds a spike), mads >= 0, window >= 1,
  /// warmup >= 1; checked by the Sentinel's options.
  SpikeDetector(std::string figure, double ratio, double mads, int64_t window, int64_t warmup);

  /// Adds the value of `step`; returns the spike when it is one. Domain and edges: a value
  /// that is not finite and positive (NaN, +-inf: the sentinel's; 0 or negative: no log) is
  /// ignored, the estimate unchanged; the first `warmup` values only build the estimate
  /// (N = 0 or 1 has no spread); a MAD of 0 (a constant figure) leaves the ratio alone to
  /// decide; a value that stays above the bar warns at the first step only.
  std::optional<Spike> add(int64_t step, double value);

  int64_t count() const { return count_; }  ///< the values the estimate has taken
  double median() const;                     ///< of the window (0 before any value)

 private:
  std::string figure_;
  double log_ratio_, mads_;
  bool on_;
  int64_t window_, warmup_;
  int64_t count_ = 0;
  bool above_ = false;      ///< the last value was above the bar
  std::deque<double> logs_;  ///< the window's logs, oldest first
};

}  // namespace depthguard
