#include "depthguard/report/depth_colormap.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

namespace depthguard {

const ChoiceTable<ColorMap>& color_map_choices() {
  static const ChoiceTable<ColorMap> table{{"turbo", ColorMap::Turbo}, {"magma", ColorMap::Magma}};
  return table;
}

namespace {

bool valid(float d) { return std::isfinite(d) && d > 0; }

cv::Mat apply(const cv::Mat& levels, ColorMap map) {
  cv::Mat bgr, rgb;
  cv::applyColorMap(levels, bgr, map == ColorMap::Turbo ? cv::COLORMAP_TURBO : cv::COLORMAP_MAGMA);
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

void label(cv::Mat& image, const std::string& text, int y) {
  cv::putText(image, text, {4, y}, cv::FONT_HERSHEY_SIMPLEX, 0.4, cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
}

}  // namespace

ColorRange valid_depth_range(const cv::Mat& depth) {
  CV_Assert(depth.type() == CV_32FC1);
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  for (int y = 0; y < depth.rows; ++y) {
    const float* row = depth.ptr<float>(y);
    for (int x = 0; x < depth.cols; ++x) {
      if (valid(row[x])) {
        lo = std::min<double>(lo, row[x]);
        hi = std::max<double>(hi, row[x]);
      }
    }
  }
  return hi > 0 ? ColorRange{lo, hi} : ColorRange{};
}

cv::Mat colorize(const cv::Mat& values, ColorMap map, const ColorRange& range) {
  CV_Assert(values.type() == CV_32FC1);
  const double lo = range.low, hi = range.high;
  const double span = hi > lo ? hi - lo : 1.0;
  cv::Mat levels(values.size(), CV_8UC1), invalid(values.size(), CV_8UC1);
  for (int y = 0; y < values.rows; ++y) {
    const float* v = values.ptr<float>(y);
    for (int x = 0; x < values.cols; ++x) {
      const bool finite = std::isfinite(v[x]);
      levels.at<uint8_t>(y, x) = finite ? cv::saturate_cast<uint8_t>(255.0 * (v[x] - lo) / span) : 0;
      invalid.at<uint8_t>(y, x) = finite ? 0 : 255;
    }
  }
  cv::Mat picture = apply(levels, map);
  picture.setTo(cv::Scalar(0, 0, 0), invalid);

  // Legend: a bar from the high end (top) to the low end (bottom) with the range beside it.
  constexpr int kLegend = 64, kBar = 14;
  const int h = std::max(values.rows, 48);
  cv::Mat ramp(h, 1, CV_8UC1);
  for (int y = 0; y < h; ++y) ramp.at<uint8_t>(y, 0) = cv::saturate_cast<uint8_t>(255.0 * (h - 1 - y) / std::max(h - 1, 1));
  cv::Mat bar, legend(h, kLegend, CV_8UC3, cv::Scalar(0, 0, 0));
  cv::resize(apply(ramp, map), bar, {kBar, h}, 0, 0, cv::INTER_NEAREST);
  bar.copyTo(legend(cv::Rect(kLegend - kBar, 0, kBar, h)));
  label(legend, fmt::format(fmt::runtime(range.label_format), hi), 12);
  label(legend, fmt::format(fmt::runtime(range.label_format), lo), h - 4);
  cv::Mat out(h, values.cols + kLegend, CV_8UC3, cv::Scalar(0, 0, 0));
  picture.copyTo(out(cv::Rect(0, 0, values.cols, values.rows)));
  legend.copyTo(out(cv::Rect(values.cols, 0, kLegend, h)));
  return out;
}

// Non-positive depths are invalid: they are drawn black, as non-finite ones are.
cv::Mat colorize_depth(const cv::Mat& depth, ColorMap map) {
  CV_Assert(depth.type() == CV_32FC1);
  cv::Mat values = depth.clone();
  values.setTo(std::numeric_limits<float>::quiet_NaN(), depth <= 0);
  return colorize(values, map, valid_depth_range(depth));
}

}  // namespace depthguard
