#pragma once
// The Eigen metric set, computed as the BTS and GLPDepth evaluation code does.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <torch/types.h>

#include "depthguard/metrics/eval_options.h"

namespace depthguard {

/// One image's, or the mean over images', Eigen metrics (g = ground truth, p = prediction,
/// over valid pixels): abs_rel = mean |g - p| / g; sq_rel = mean (g - p)^2 / g;
/// rmse = sqrt mean (g - p)^2; rmse_log = sqrt mean (log g - log p)^2;
/// log10 = mean |log10 g - log10 p|; silog = 100 sqrt(Var(log p - log g)) (population
/// variance, two-pass, so never the sqrt of a negative); d_k = fraction with
/// max(g/p, p/g) < 1.25^k.
struct DepthMetrics {
  double abs_rel = 0, sq_rel = 0, rmse = 0, rmse_log = 0, log10 = 0, silog = 0;
  double d1 = 0, d2 = 0, d3 = 0;
};

/// (name, value) in the reference order: abs_rel sq_rel rmse rmse_log log10 silog d1 d2 d3.
std::vector<std::pair<std::string, double>> metric_fields(const DepthMetrics& m);

/// The inverse of metric_fields: the metrics named in `fields` (for example read back from
/// JSON); throws std::invalid_argument naming a field that is not a metric or is missing.
DepthMetrics metrics_from_fields(const std::vector<std::pair<std::string, double>>& fields);

struct ImageMetrics {
  DepthMetrics metrics;
  int64_t valid_pixels = 0;
  int64_t nonfinite_predictions = 0;  ///< over the whole image, before clamping
};

/// Metrics of one prediction against its ground truth, both [H, W] (leading dims of size 1
/// are accepted), in metres.
///
/// The prediction is first clamped as the reference code does: below min_depth to
/// min_depth, above max_depth to max_depth, +inf to max_depth, -inf and NaN to min_depth;
/// the non-finite ones are counted. Computed in float64 on the CPU, whatever the inputs'
/// device.
/// Edges: no valid pixel (all-invalid gt, an empty image, a crop that leaves nothing)
/// gives nullopt; N = 1 gives exact per-pixel values and silog 0.
/// Throws InvalidArgument unless 0 < min_depth < max_depth, and c10::Error on shape mismatch.
std::optional<ImageMetrics> evaluate_image(const torch::Tensor& pred, const torch::Tensor& gt,
                                           const EvalOptions& options);

/// The mean over images of per-image metrics (how BTS and GLPDepth average), with counts of
/// skipped images and clamped non-finite predictions.
class MetricsAverage {
 public:
  /// Adds one image's result; nullopt counts as a skipped image.
  void add(const std::optional<ImageMetrics>& image);
  /// Mean over the images added; none when no image had valid ground truth (metrics over
  /// zero images are undefined, not 0).
  std::optional<DepthMetrics> mean() const;
  int64_t images() const { return images_; }
  int64_t skipped() const { return skipped_; }
  int64_t nonfinite_predictions() const { return nonfinite_; }
  /// Counts a sample that could not be read and was skipped (it has no metrics).
  void add_unreadable() { ++unreadable_; }
  int64_t unreadable() const { return unreadable_; }

 private:
  DepthMetrics sum_;
  int64_t images_ = 0, skipped_ = 0, nonfinite_ = 0, unreadable_ = 0;
};

}  // namespace depthguard
