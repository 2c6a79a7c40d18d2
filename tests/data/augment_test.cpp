#include "depthguard/data/augment.h"

#include <set>

#include "data/data_test_support.h"
#include "depthguard/data/random.h"
#include "depthguard/data/rgbd_sample.h"
#include "test_support.h"

namespace depthguard {
namespace {

// A sample whose red channel encodes its depth (red = 10 * depth), every pixel unique in
// (green, blue): any step applied to one of image and depth alone breaks the encoding.
RgbdSample encoded_sample(int h = 30, int w = 40) {
  RgbdSample s{cv::Mat(h, w, CV_8UC3), cv::Mat(h, w, CV_32FC1), "enc", 100.0};
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const int d = 1 + (y * 7 + x * 3) % 25;
      s.depth.at<float>(y, x) = static_cast<float>(d);
      s.rgb.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(10 * d), static_cast<uchar>(y), static_cast<uchar>(x));
    }
  }
  return s;
}

void expect_aligned(const RgbdSample& s) {
  for (int y = 0; y < s.rgb.rows; ++y) {
    for (int x = 0; x < s.rgb.cols; ++x) {
      ASSERT_EQ(s.rgb.at<cv::Vec3b>(y, x)[0], 10 * s.depth.at<float>(y, x)) << y << "," << x;
    }
  }
}

TEST(Augment, CropAndFlipKeepImageAndDepthAligned) {
  const auto base = encoded_sample();
  int flipped = 0;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    Random rng(seed);
    const auto s = augment(base, rng, AugmentOptions().crop_height(11).crop_width(17).flip(true));
    ASSERT_EQ(s.rgb.size(), cv::Size(17, 11));
    expect_aligned(s);
    // Column order reveals a flip: blue holds the source column.
    flipped += s.rgb.at<cv::Vec3b>(0, 0)[2] > s.rgb.at<cv::Vec3b>(0, 16)[2];
  }
  EXPECT_GT(flipped, 5);
  EXPECT_LT(flipped, 35);
}

TEST(Augment, TinyAndOversizedCrops) {
  Random rng(1);
  const auto one = augment(encoded_sample(), rng, AugmentOptions().crop_height(1).crop_width(1));
  EXPECT_EQ(one.depth.size(), cv::Size(1, 1));
  expect_aligned(one);
  const auto whole = augment(encoded_sample(), rng, AugmentOptions().crop_height(100).crop_width(100).flip(false));
  EXPECT_EQ(whole.depth.size(), cv::Size(40, 30));
}

TEST(Augment, ScaleDividesDepthAndFollowsTheFocalLength) {
  Random rng(2);
  const auto s = augment(encoded_sample(), rng, AugmentOptions().scale_min(2).scale_max(2).flip(false));
  EXPECT_EQ(s.depth.size(), cv::Size(80, 60));
  EXPECT_FLOAT_EQ(s.depth.at<float>(0, 0), 0.5f);  // nearest neighbour of depth 1, halved
  EXPECT_DOUBLE_EQ(s.focal, 200.0);
}

TEST(Augment, RotationNeverInterpolatesDepthAndFillsInvalid) {
  const auto base = encoded_sample();
  Random rng(3);
  const auto s = augment(base, rng, AugmentOptions().rotate_degrees(20).flip(false));
  std::set<float> values;
  for (int y = 0; y < s.depth.rows; ++y) {
    for (int x = 0; x < s.depth.cols; ++x) values.insert(s.depth.at<float>(y, x));
  }
  for (const float v : values) EXPECT_TRUE(v == 0 || (v == std::floor(v) && v >= 1 && v <= 25)) << v;
  EXPECT_TRUE(values.count(0.0f));  // corners come from outside the image
}

TEST(Augment, ColourJitterChangesOnlyTheImageAndIsReproducible) {
  const auto base = encoded_sample();
  const auto opts = AugmentOptions().brightness(0.3).contrast(0.3).saturation(0.3).gamma(0.3).flip(false);
  Random a(9), b(9);
  const auto s = augment(base, a, opts);
  EXPECT_TRUE(testing::same(s.depth, base.depth));
  EXPECT_FALSE(testing::same(s.rgb, base.rgb));
  EXPECT_TRUE(testing::same(s.rgb, augment(base, b, opts).rgb));
}

TEST(Augment, ResizeForNetworkRoundsToMultiplesAndKeepsGroundTruth) {
  const auto s = resize_for_network(encoded_sample(30, 40), 0, 0, 32);
  EXPECT_EQ(s.rgb.size(), cv::Size(32, 32));
  EXPECT_EQ(s.depth.size(), cv::Size(40, 30));
  EXPECT_EQ(resize_for_network(encoded_sample(), 70, 100, 32).rgb.size(), cv::Size(96, 64));
}

}  // namespace
}  // namespace depthguard
