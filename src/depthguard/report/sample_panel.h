#pragma once
// One held-out sample as people judge a depth model: the image, the ground truth, the
// prediction and the error, side by side (TensorBoard's images and the HTML report's grid).
#include <opencv2/core.hpp>

#include "depthguard/report/depth_colormap.h"

namespace depthguard {

/// The absolute relative error |pred - gt| / gt is drawn over [0, kPanelErrorScale]:
/// one fixed scale, so panels of different steps and runs compare.
inline constexpr double kPanelErrorScale = 0.5;

/// A picture (CV_8UC3, RGB) of four captioned tiles: `rgb` (CV_8UC3), the ground truth
/// `gt` and the prediction `pred` (CV_32FC1, metres, gt's size) coloured with `map` over one
/// range, the ground truth's valid range (so a wrong scale shows as a wrong colour), and
/// the absolute relative error (magma, 0 to kPanelErrorScale). Pixels without valid ground
/// truth (0, negative or non-finite) are black in the ground truth and error tiles; a
/// non-finite prediction is black in the prediction and error tiles. Throws
/// std::invalid_argument for mismatched sizes or types.
cv::Mat sample_panel(const cv::Mat& rgb, const cv::Mat& gt, const cv::Mat& pred, ColorMap map);

}  // namespace depthguard
