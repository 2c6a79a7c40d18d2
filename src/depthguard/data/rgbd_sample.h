#pragma once
#include <string>

#include <opencv2/core.hpp>

namespace depthguard {

/// One image with its ground truth, as every dataset returns it.
struct RgbdSample {
  cv::Mat rgb;        ///< CV_8UC3, RGB channel order
  cv::Mat depth;      ///< CV_32FC1, metres; 0 marks an invalid pixel
  std::string id;     ///< stable name of the sample (file stem or "synth/<index>")
  double focal = 0;   ///< focal length in pixels at this resolution (0 when unknown)
};

}  // namespace depthguard
