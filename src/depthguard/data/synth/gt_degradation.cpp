#include "depthguard/data/synth/gt_degradation.h"

#include <cmath>

#include <opencv2/imgproc.hpp>

namespace depthguard {

const ChoiceTable<SparsePattern>& sparse_pattern_choices() {
  static const ChoiceTable<SparsePattern> table{{"dense", SparsePattern::Dense},
                                                {"random", SparsePattern::Random},
                                                {"scanlines", SparsePattern::Scanlines}};
  return table;
}

namespace {

void punch_holes(cv::Mat& depth, Random& rng, double mean_holes) {
  const auto count = rng.integer(0, static_cast<int64_t>(std::lround(2 * mean_holes)));
  for (int64_t i = 0; i < count; ++i) {
    const cv::Point centre(static_cast<int>(rng.integer(0, depth.cols - 1)),
                           static_cast<int>(rng.integer(0, depth.rows - 1)));
    const cv::Size axes(static_cast<int>(rng.uniform(0.02, 0.08) * depth.cols) + 1,
                        static_cast<int>(rng.uniform(0.02, 0.08) * depth.cols) + 1);
    cv::ellipse(depth, centre, axes, rng.uniform(0, 180), 0, 360, cv::Scalar(0), cv::FILLED);
  }
}

void sparsify(cv::Mat& depth, Random& rng, SparsePattern pattern, double fraction) {
  if (pattern == SparsePattern::Random) {
    for (int y = 0; y < depth.rows; ++y) {
      auto* row = depth.ptr<float>(y);
      for (int x = 0; x < depth.cols; ++x) {
        if (!rng.chance(fraction)) row[x] = 0;
      }
    }
  } else if (pattern == SparsePattern::Scanlines) {
    const auto step = std::max<int64_t>(1, std::lround(1.0 / fraction));
    const auto phase = rng.integer(0, step - 1);
    for (int y = 0; y < depth.rows; ++y) {
      if ((y - phase) % step != 0) depth.row(y).setTo(0);
    }
  }
}

}  // namespace

void degrade_depth(cv::Mat& depth, Random& rng, const DegradationOptions& options) {
  if (options.holes() > 0) punch_holes(depth, rng, options.holes());
  if (options.max_range() > 0) depth.setTo(0, depth > options.max_range());
  sparsify(depth, rng, options.pattern(), options.valid_fraction());
}

}  // namespace depthguard
