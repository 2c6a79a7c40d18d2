#include "depthguard/report/sample_panel.h"

#include <limits>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "test_support.h"

namespace depthguard {
namespace {

using testing::error_message;

constexpr int kH = 48, kW = 40, kCaption = 18;

// The pixel at (y, x) of tile `tile` (0 image, 1 ground truth, 2 prediction, 3 error).
cv::Vec3b tile_pixel(const cv::Mat& panel, int tile, int y, int x, int tile_width) {
  return panel.at<cv::Vec3b>(kCaption + y, tile * tile_width + x);
}

TEST(SamplePanel, FourTilesOneDepthScaleAndTheErrorOfEachPixel) {
  const cv::Mat rgb(kH, kW, CV_8UC3, cv::Scalar(200, 100, 50));
  cv::Mat gt(kH, kW, CV_32FC1, cv::Scalar(2.0f));
  gt(cv::Rect(0, 0, kW / 2, kH)).setTo(4.0f);
  const cv::Mat pred = gt.clone();  // a perfect prediction
  const auto panel = sample_panel(rgb, gt, pred, ColorMap::Turbo);
  ASSERT_EQ(panel.type(), CV_8UC3);
  // Image, ground truth (no legend), then prediction and error with a 64-pixel legend each.
  EXPECT_EQ(panel.cols, kW + kW + 2 * (kW + 64));
  EXPECT_EQ(panel.rows, kCaption + 48);
  EXPECT_EQ(tile_pixel(panel, 0, 5, 5, kW), cv::Vec3b(200, 100, 50));
  // The same depth takes the same colour in ground truth and prediction.
  EXPECT_EQ(panel.at<cv::Vec3b>(kCaption + 5, kW + 5), panel.at<cv::Vec3b>(kCaption + 5, 2 * kW + 5));
  EXPECT_NE(panel.at<cv::Vec3b>(kCaption + 5, kW + 5), panel.at<cv::Vec3b>(kCaption + 5, kW + kW - 5));
}

TEST(SamplePanel, InvalidGroundTruthAndNonFinitePredictionsAreBlack) {
  const cv::Mat rgb(kH, kW, CV_8UC3, cv::Scalar(1, 2, 3));
  cv::Mat gt(kH, kW, CV_32FC1, cv::Scalar(3.0f));
  gt.at<float>(10, 10) = 0;  // no ground truth here
  cv::Mat pred(kH, kW, CV_32FC1, cv::Scalar(3.0f));
  pred.at<float>(20, 20) = std::numeric_limits<float>::quiet_NaN();
  pred.at<float>(21, 21) = std::numeric_limits<float>::infinity();
  const auto panel = sample_panel(rgb, gt, pred, ColorMap::Turbo);
  const int pred_x = 2 * kW, error_x = 2 * kW + kW + 64;
  const cv::Vec3b black(0, 0, 0);
  EXPECT_EQ(panel.at<cv::Vec3b>(kCaption + 10, kW + 10), black);        // ground truth tile
  EXPECT_EQ(panel.at<cv::Vec3b>(kCaption + 10, error_x + 10), black);   // no error without ground truth
  EXPECT_EQ(panel.at<cv::Vec3b>(kCaption + 20, pred_x + 20), black);    // NaN prediction
  EXPECT_EQ(panel.at<cv::Vec3b>(kCaption + 21, pred_x + 21), black);    // inf prediction
  EXPECT_EQ(panel.at<cv::Vec3b>(kCaption + 20, error_x + 20), black);
  EXPECT_NE(panel.at<cv::Vec3b>(kCaption + 30, error_x + 30), black);   // zero error: magma's low end is not black
}

TEST(SamplePanel, GroundTruthWithoutAValidPixelStillDraws) {
  const cv::Mat rgb(kH, kW, CV_8UC3, cv::Scalar(1, 2, 3));
  const cv::Mat gt(kH, kW, CV_32FC1, cv::Scalar(0.0f));
  const cv::Mat pred(kH, kW, CV_32FC1, cv::Scalar(1.0f));
  EXPECT_EQ(sample_panel(rgb, gt, pred, ColorMap::Magma).type(), CV_8UC3);
}

TEST(SamplePanel, MismatchedSizesAndTypesAreRefused) {
  const cv::Mat rgb(kH, kW, CV_8UC3), depth(kH, kW, CV_32FC1, cv::Scalar(1.0f)), small(kH, kW - 1, CV_32FC1);
  EXPECT_NE(error_message([&] { sample_panel(rgb, depth, small, ColorMap::Turbo); }).find("one size"), std::string::npos);
  EXPECT_NE(error_message([&] { sample_panel(rgb, depth, cv::Mat(kH, kW, CV_64FC1), ColorMap::Turbo); }).find("CV_32FC1"),
            std::string::npos);
}

}  // namespace
}  // namespace depthguard
