#include "depthguard/data/image_codec.h"

#include <zlib.h>

#include <gtest/gtest.h>

#include "test_support.h"

namespace depthguard {
namespace {

cv::Mat random_image(int rows, int cols, int type) {
  cv::Mat image(rows, cols, type);
  cv::randu(image, 0, CV_MAT_DEPTH(type) == CV_16U ? 65536 : 256);
  return image;
}

bool identical(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

std::string decode_error(const std::vector<uint8_t>& bytes) {
  return testing::error_message<std::runtime_error>([&] { decode_image(bytes); });
}

TEST(ImageCodec, PngKeepsEveryDepthAndChannelCountExactly) {
  for (const int type : {CV_8UC1, CV_8UC2, CV_8UC3, CV_8UC4, CV_16UC1, CV_16UC2, CV_16UC3, CV_16UC4}) {
    for (const auto size : {cv::Size(1, 1), cv::Size(37, 5)}) {
      const auto image = random_image(size.height, size.width, type);
      EXPECT_TRUE(identical(decode_image(encode_png(image)), image)) << type << " " << size;
    }
  }
}

TEST(ImageCodec, JpegRoundTripsGreyAndColourCloselyInRgbOrder) {
  cv::Mat colour(16, 24, CV_8UC3, cv::Scalar(200, 40, 10));  // red first
  const auto back = decode_image(encode_jpeg(colour));
  ASSERT_EQ(back.type(), CV_8UC3);
  EXPECT_LE(cv::norm(back, colour, cv::NORM_INF), 4);
  const cv::Mat grey(8, 8, CV_8UC1, cv::Scalar(77));
  EXPECT_EQ(decode_image(encode_jpeg(grey)).type(), CV_8UC1);
}

TEST(ImageCodec, OtherTypesAreRefusedByTheEncoders) {
  EXPECT_THROW(encode_png(cv::Mat(2, 2, CV_32FC1)), std::invalid_argument);
  EXPECT_THROW(encode_png(cv::Mat(2, 2, CV_8UC(5))), std::invalid_argument);
  EXPECT_THROW(encode_png(cv::Mat()), std::invalid_argument);
  EXPECT_THROW(encode_jpeg(cv::Mat(2, 2, CV_16UC1)), std::invalid_argument);
  EXPECT_THROW(encode_jpeg(cv::Mat(2, 2, CV_8UC4)), std::invalid_argument);
  EXPECT_THROW(encode_jpeg(cv::Mat(2, 2, CV_8UC3), 0), std::invalid_argument);
}

TEST(ImageCodec, OtherFormatsAndEmptyInputAreNamed) {
  EXPECT_EQ(decode_error({}), "not a PNG or JPEG file");
  EXPECT_EQ(decode_error({'B', 'M', 0, 0}), "not a PNG or JPEG file");
}

// A damaged stream is refused, never decoded with part of it grey or wrong.
TEST(ImageCodec, DamagedStreamsAreRefused) {
  const auto image = random_image(64, 64, CV_8UC3);
  auto png = encode_png(image);
  png[png.size() / 2] ^= 0x10;  // inside IDAT: its CRC no longer matches
  EXPECT_NE(decode_error(png).find("PNG: "), std::string::npos);
  auto jpeg = encode_jpeg(image);
  for (size_t i = jpeg.size() / 2; i < jpeg.size() / 2 + 8; ++i) jpeg[i] = 0xFF;  // markers in the entropy-coded data
  EXPECT_NE(decode_error(jpeg).find("JPEG: "), std::string::npos) << decode_error(jpeg);
  auto cut = encode_jpeg(image);
  cut.resize(cut.size() * 3 / 10);
  EXPECT_NE(decode_error(cut).find("JPEG: "), std::string::npos);  // libjpeg's "premature end" warning
  auto cut_png = encode_png(image);
  cut_png.resize(cut_png.size() / 2);
  EXPECT_NE(decode_error(cut_png).find("truncated"), std::string::npos) << decode_error(cut_png);
}

// A small file may claim any size: the pixels are not allocated for a size beyond the limit.
TEST(ImageCodec, AHeaderClaimingTooManyPixelsIsRefusedBeforeAllocating) {
  auto png = encode_png(cv::Mat(2, 2, CV_8UC1, cv::Scalar(1)));
  // IHDR: length (4), "IHDR" (4), width (4, big-endian), height (4), 5 more bytes, CRC (4).
  const size_t ihdr = 8;
  const auto put = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) png[at + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (24 - 8 * i));
  };
  put(ihdr + 8, 20000);
  put(ihdr + 12, 20000);
  put(ihdr + 8 + 13, static_cast<uint32_t>(crc32(0, png.data() + ihdr + 4, 17)));  // over "IHDR" and its data
  EXPECT_EQ(decode_error(png), "the image claims 20000x20000 pixels, more than the " +
                                   std::to_string(kMaxImagePixels) + " accepted");
}

}  // namespace
}  // namespace depthguard
