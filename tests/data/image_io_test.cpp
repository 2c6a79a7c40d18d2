#include "depthguard/data/image_io.h"

#include <fstream>
#include <limits>

#include <opencv2/core.hpp>

#include "data/data_test_support.h"
#include "depthguard/data/data_error.h"
#include "test_support.h"

namespace depthguard {
namespace {

using testing::TempDir;

template <class F>
std::string error_of(F f) {
  return testing::error_message<DataError>(f);
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(ImageIo, DepthRoundTripsToTheMillimetreAndInvalidValuesBecomeZero) {
  TempDir dir("io_depth");
  cv::Mat depth = (cv::Mat_<float>(1, 7) << 1.2344f, 0.0f, 9.9996f, -1.0f, std::numeric_limits<float>::infinity(),
                   std::numeric_limits<float>::quiet_NaN(), 70.0f);
  const auto path = (dir / "d.png").string();
  write_depth(path, depth, 1000.0);
  const cv::Mat back = read_depth(path, 1000.0);
  const float expected[] = {1.234f, 0, 10.0f, 0, 0, 0, 0};  // 70 m > 65.535 m: unrepresentable
  for (int i = 0; i < 7; ++i) EXPECT_NEAR(back.at<float>(0, i), expected[i], 1e-6) << i;
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.str()), {}), 1) << "temporary file left";
}

TEST(ImageIo, ReadsGreyRgbaAnd16BitColourAsRgb) {
  TempDir dir("io_rgb");
  write_image((dir / "grey.png").string(), cv::Mat(4, 5, CV_8UC1, cv::Scalar(77)));
  write_image((dir / "grey_alpha.png").string(), cv::Mat(4, 5, CV_8UC2, cv::Scalar(66, 0)));
  write_image((dir / "rgba.png").string(), cv::Mat(4, 5, CV_8UC4, cv::Scalar(10, 20, 30, 40)));
  write_image((dir / "deep.png").string(), cv::Mat(4, 5, CV_16UC3, cv::Scalar(0, 0, 65535)));
  write_image((dir / "grey.jpg").string(), cv::Mat(4, 5, CV_8UC1, cv::Scalar(77)));
  const auto grey = read_rgb((dir / "grey.png").string());
  EXPECT_EQ(grey.type(), CV_8UC3);
  EXPECT_EQ(grey.at<cv::Vec3b>(0, 0), cv::Vec3b(77, 77, 77));
  EXPECT_EQ(read_rgb((dir / "grey_alpha.png").string()).at<cv::Vec3b>(0, 0), cv::Vec3b(66, 66, 66));
  EXPECT_EQ(read_rgb((dir / "rgba.png").string()).at<cv::Vec3b>(0, 0), cv::Vec3b(10, 20, 30));  // alpha dropped
  EXPECT_EQ(read_rgb((dir / "deep.png").string()).at<cv::Vec3b>(0, 0), cv::Vec3b(0, 0, 255));
  EXPECT_EQ(read_rgb((dir / "grey.jpg").string()).at<cv::Vec3b>(0, 0), cv::Vec3b(77, 77, 77));
}

TEST(ImageIo, BadFilesGiveErrorsThatNameThem) {
  TempDir dir("io_bad");
  const auto missing = (dir / "missing.png").string();
  EXPECT_TRUE(contains(error_of([&] { read_rgb(missing); }), missing + ": file not found"));
  const auto folder = (dir / "folder.png").string();
  std::filesystem::create_directories(folder);
  EXPECT_TRUE(contains(error_of([&] { read_rgb(folder); }), folder + ": is a directory, not an image"));
  const auto too_long = (dir / (std::string(300, 'a') + ".png")).string();  // over NAME_MAX
  EXPECT_TRUE(contains(error_of([&] { read_rgb(too_long); }), too_long + ": File name too long"));
  const auto corrupt = (dir / "corrupt.png").string();
  std::ofstream(corrupt) << "this is not a png";
  EXPECT_TRUE(contains(error_of([&] { read_depth(corrupt, 1000); }), corrupt + ": cannot decode"));
  const auto eight = (dir / "eight.png").string();
  write_image(eight, cv::Mat(4, 4, CV_8UC1, cv::Scalar(5)));
  EXPECT_TRUE(contains(error_of([&] { read_depth(eight, 1000); }), eight + ": depth must be a 16-bit PNG"));
  const auto colour = (dir / "colour.png").string();
  write_image(colour, cv::Mat(4, 4, CV_16UC3, cv::Scalar(5, 5, 5)));
  EXPECT_TRUE(contains(error_of([&] { read_depth(colour, 1000); }), colour + ": depth must have 1 channel"));
}

// A file cut short (a copy interrupted, a disk that filled) is refused, not decoded with its
// missing part grey; the whole file still reads.
TEST(ImageIo, TruncatedJpegAndPngAreRefused) {
  TempDir dir("io_truncated");
  cv::Mat picture(64, 64, CV_8UC3);
  cv::randu(picture, 0, 255);
  for (const std::string ext : {".jpg", ".png"}) {
    const auto whole = (dir / ("whole" + ext)).string(), cut = (dir / ("cut" + ext)).string();
    write_image(whole, picture);
    EXPECT_EQ(read_rgb(whole).size(), picture.size());
    std::filesystem::copy_file(whole, cut);
    std::filesystem::resize_file(cut, std::filesystem::file_size(whole) * 3 / 10);
    const auto message = error_of([&] { read_rgb(cut); });
    EXPECT_TRUE(contains(message, cut + ": truncated " + (ext == ".jpg" ? "JPEG" : "PNG"))) << message;
  }
}

}  // namespace
}  // namespace depthguard
