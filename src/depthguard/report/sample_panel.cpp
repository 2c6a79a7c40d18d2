#include "depthguard/report/sample_panel.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace depthguard {

namespace {

constexpr int kCaption = 18;  // pixels above each tile
constexpr int kLongCaptionWidth = 120;  // "abs rel error" at the caption's font size

// |pred - gt| / gt where gt is valid; NaN elsewhere (drawn black).
cv::Mat relative_error(const cv::Mat& gt, const cv::Mat& pred) {
  cv::Mat error(gt.size(), CV_32FC1);
  for (int y = 0; y < gt.rows; ++y) {
    const float *g = gt.ptr<float>(y), *p = pred.ptr<float>(y);
    float* e = error.ptr<float>(y);
    for (int x = 0; x < gt.cols; ++x) {
      const bool valid = std::isfinite(g[x]) && g[x] > 0 && std::isfinite(p[x]);
      e[x] = valid ? std::abs(p[x] - g[x]) / g[x] : std::numeric_limits<float>::quiet_NaN();
    }
  }
  return error;
}

// Invalid depths (non-positive) as NaN, so colorize draws them black.
cv::Mat valid_only(const cv::Mat& depth) {
  cv::Mat values = depth.clone();
  values.setTo(std::numeric_limits<float>::quiet_NaN(), depth <= 0);
  return values;
}

// A tile with its caption above it, `height` tall (a legend may make tiles taller than the image).
cv::Mat captioned(const cv::Mat& tile, const std::string& caption, int height) {
  cv::Mat out(height + kCaption, tile.cols, CV_8UC3, cv::Scalar(24, 24, 24));
  tile.copyTo(out(cv::Rect(0, kCaption, tile.cols, tile.rows)));
  cv::putText(out, caption, {4, kCaption - 5}, cv::FONT_HERSHEY_SIMPLEX, 0.45, cv::Scalar(235, 235, 235), 1,
              cv::LINE_AA);
  return out;
}

}  // namespace

cv::Mat sample_panel(const cv::Mat& rgb, const cv::Mat& gt, const cv::Mat& pred, ColorMap map) {
  if (rgb.type() != CV_8UC3 || gt.type() != CV_32FC1 || pred.type() != CV_32FC1) {
    throw std::invalid_argument("sample_panel: rgb must be CV_8UC3, gt and pred CV_32FC1");
  }
  if (rgb.size() != gt.size() || gt.size() != pred.size()) {
    throw std::invalid_argument("sample_panel: rgb, gt and pred must have one size");
  }
  const ColorRange depth_range = valid_depth_range(gt);
  const cv::Mat gt_tile = colorize(valid_only(gt), map, depth_range);
  const cv::Mat tiles[] = {rgb, gt_tile(cv::Rect(0, 0, gt.cols, gt.rows)), colorize(pred, map, depth_range),
                           colorize(relative_error(gt, pred), ColorMap::Magma, {0, kPanelErrorScale, "{:.2f}"})};
  // Tiles narrower than the long captions take the short ones.
  const bool narrow = rgb.cols < kLongCaptionWidth;
  const char* captions[] = {"image", narrow ? "gt" : "ground truth", narrow ? "pred" : "prediction",
                            narrow ? "error" : "abs rel error"};
  const int height = std::max(rgb.rows, tiles[2].rows);
  std::vector<cv::Mat> row;
  for (int i = 0; i < 4; ++i) row.push_back(captioned(tiles[i], captions[i], height));
  cv::Mat panel;
  cv::hconcat(row, panel);
  return panel;
}

}  // namespace depthguard
