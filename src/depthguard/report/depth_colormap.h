#pragma once
// Depth maps as pictures a person can read: a colour map and a legend of the range.
#include <opencv2/core.hpp>

#include "depthguard/core/choice.h"

namespace depthguard {

enum class ColorMap { Turbo, Magma };
const ChoiceTable<ColorMap>& color_map_choices();

/// An RGB picture (CV_8UC3) of a depth map (CV_32FC1, metres): the map coloured from its
/// smallest to its largest finite positive depth (near = the colour map's low end), with a
/// legend strip on the right labelled with the range in metres. Non-finite and
/// non-positive pixels are black. A map with no valid pixel, or a constant one, is drawn
/// with the colour map's low end and its single value as the legend.
cv::Mat colorize_depth(const cv::Mat& depth, ColorMap map);

}  // namespace depthguard
