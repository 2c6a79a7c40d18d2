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

/// The range a colour map spans, and how its legend labels the ends.
struct ColorRange {
  double low = 0, high = 0;  ///< values at the map's low and high end; high <= low draws all low
  const char* label_format = "{:.2f}m";  ///< fmt format of a legend label
};

/// An RGB picture (CV_8UC3) of `values` (CV_32FC1) over a given range: values below or
/// above it take the map's ends, non-finite pixels are black; the legend strip on the right
/// shows the range.
cv::Mat colorize(const cv::Mat& values, ColorMap map, const ColorRange& range);

/// The smallest and largest finite positive value of `depth` (CV_32FC1) as a depth range;
/// {0, 0} when there is none.
ColorRange valid_depth_range(const cv::Mat& depth);

}  // namespace depthguard
