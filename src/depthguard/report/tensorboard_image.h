#pragma once
// A picture in TensorBoard's Images tab: an OpenCV picture encoded as PNG for the guard
// tier's TensorBoardWriter (which knows neither OpenCV nor libpng).
#include <cstdint>
#include <string>

#include <opencv2/core.hpp>

#include "depthguard/runlog/tensorboard_writer.h"

namespace depthguard {

/// Adds `rgb` (CV_8UC3, red first) under `tag` at `step`. Throws std::invalid_argument for
/// any other picture type.
void add_image(TensorBoardWriter& tensorboard, const std::string& tag, const cv::Mat& rgb, int64_t step);

}  // namespace depthguard
