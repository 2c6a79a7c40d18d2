#include "depthguard/report/depth_colormap.h"

#include <cmath>
#include <limits>

#include <opencv2/imgproc.hpp>

#include "test_support.h"

namespace depthguard {
namespace {

cv::Vec3b colour_of_level(int level, ColorMap map) {
  cv::Mat one(1, 1, CV_8UC1, cv::Scalar(level)), bgr;
  cv::applyColorMap(one, bgr, map == ColorMap::Turbo ? cv::COLORMAP_TURBO : cv::COLORMAP_MAGMA);
  const auto c = bgr.at<cv::Vec3b>(0, 0);
  return {c[2], c[1], c[0]};
}

TEST(DepthColormap, NearestAndFarthestTakeTheMapsEndsAndALegendIsAdded) {
  cv::Mat depth(60, 80, CV_32FC1, cv::Scalar(2.0f));
  depth.at<float>(0, 0) = 1.0f;
  depth.at<float>(59, 79) = 5.0f;
  for (const auto map : {ColorMap::Turbo, ColorMap::Magma}) {
    const auto picture = colorize_depth(depth, map);
    EXPECT_EQ(picture.type(), CV_8UC3);
    EXPECT_EQ(picture.size(), cv::Size(80 + 64, 60));
    EXPECT_EQ(picture.at<cv::Vec3b>(0, 0), colour_of_level(0, map));
    EXPECT_EQ(picture.at<cv::Vec3b>(59, 79), colour_of_level(255, map));
  }
}

TEST(DepthColormap, InvalidPixelsAreBlack) {
  cv::Mat depth(50, 50, CV_32FC1, cv::Scalar(3.0f));
  depth.at<float>(1, 1) = 0;
  depth.at<float>(2, 2) = -1;
  depth.at<float>(3, 3) = std::numeric_limits<float>::quiet_NaN();
  depth.at<float>(4, 4) = std::numeric_limits<float>::infinity();
  const auto picture = colorize_depth(depth, ColorMap::Turbo);
  for (int i = 1; i <= 4; ++i) EXPECT_EQ(picture.at<cv::Vec3b>(i, i), cv::Vec3b(0, 0, 0)) << i;
}

TEST(DepthColormap, EdgesConstantEmptyOfValidAndTinyMaps) {
  const cv::Mat constant(10, 10, CV_32FC1, cv::Scalar(4.0f));
  EXPECT_EQ(colorize_depth(constant, ColorMap::Turbo).at<cv::Vec3b>(5, 5), colour_of_level(0, ColorMap::Turbo));
  const cv::Mat none(10, 10, CV_32FC1, cv::Scalar(0.0f));
  const auto black = colorize_depth(none, ColorMap::Magma);
  EXPECT_EQ(cv::countNonZero(black(cv::Rect(0, 0, 10, 10)).reshape(1)), 0);
  EXPECT_EQ(black.rows, 48);  // room for the legend's labels
  const cv::Mat one(1, 1, CV_32FC1, cv::Scalar(1.0f));
  EXPECT_EQ(colorize_depth(one, ColorMap::Turbo).size(), cv::Size(65, 48));
}

}  // namespace
}  // namespace depthguard
