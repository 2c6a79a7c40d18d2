#include "depthguard/data/rgbd_dataset.h"

#include <limits>

#include <opencv2/core.hpp>

#include "depthguard/data/data_error.h"

namespace depthguard {

void validate_sample(const RgbdSample& s, const std::string& source) {
  if (s.rgb.type() != CV_8UC3) throw DataError(source + ": RGB image is not 8-bit, 3-channel");
  if (s.depth.type() != CV_32FC1) throw DataError(source + ": depth is not single-channel float");
  if (s.rgb.size() != s.depth.size()) {
    throw DataError(source + ": RGB is " + std::to_string(s.rgb.cols) + "x" + std::to_string(s.rgb.rows) +
                    " but depth is " + std::to_string(s.depth.cols) + "x" + std::to_string(s.depth.rows));
  }
  if (!cv::checkRange(s.depth, /*quiet=*/true, nullptr, 0.0, std::numeric_limits<double>::max())) {
    throw DataError(source + ": depth holds non-finite or negative values");
  }
}

}  // namespace depthguard
