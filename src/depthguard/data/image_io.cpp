#include "depthguard/data/image_io.h"

#include <filesystem>
#include <string_view>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "depthguard/data/data_error.h"
#include "depthguard/runtime/atomic_file.h"

namespace depthguard {

namespace {

cv::Mat decode(const std::string& path, int flags) {
  if (!std::filesystem::exists(path)) throw DataError(path + ": file not found");
  cv::Mat image;
  try {
    image = cv::imread(path, flags);
  } catch (const cv::Exception& e) {
    throw DataError(path + ": cannot decode image (" + e.what() + ")");
  }
  if (image.empty()) throw DataError(path + ": cannot decode image (corrupt or unsupported format)");
  return image;
}

// Encoded in memory, then written by write_file_atomically: a full disk is an error naming
// the file, never a truncated image (cv::imwrite does not report short writes).
void encode(const std::string& path, const cv::Mat& image) {
  try {
    std::vector<uchar> bytes;
    if (!cv::imencode(std::filesystem::path(path).extension().string(), image, bytes)) {
      throw DataError(path + ": cannot encode image");
    }
    write_file_atomically(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  } catch (const cv::Exception& e) {
    throw DataError(path + ": cannot write image (" + e.what() + ")");
  } catch (const std::runtime_error& e) {
    throw DataError(e.what());
  }
}

}  // namespace

cv::Mat read_rgb(const std::string& path) {
  cv::Mat image = decode(path, cv::IMREAD_UNCHANGED);
  if (image.depth() == CV_16U) image.convertTo(image, CV_8U, 1.0 / 257.0);
  if (image.depth() != CV_8U) throw DataError(path + ": unsupported pixel type for an RGB image");
  cv::Mat rgb;
  switch (image.channels()) {
    case 1:
      cv::cvtColor(image, rgb, cv::COLOR_GRAY2RGB);
      break;
    case 3:
      cv::cvtColor(image, rgb, cv::COLOR_BGR2RGB);
      break;
    case 4:
      cv::cvtColor(image, rgb, cv::COLOR_BGRA2RGB);
      break;
    default:
      throw DataError(path + ": " + std::to_string(image.channels()) + " channels, expected 1, 3 or 4");
  }
  return rgb;
}

cv::Mat read_depth(const std::string& path, double scale) {
  const cv::Mat raw = decode(path, cv::IMREAD_ANYDEPTH | cv::IMREAD_UNCHANGED);
  if (raw.channels() != 1) {
    throw DataError(path + ": depth must have 1 channel, found " + std::to_string(raw.channels()));
  }
  if (raw.depth() != CV_16U) throw DataError(path + ": depth must be a 16-bit PNG, found 8-bit or other");
  cv::Mat metres;
  raw.convertTo(metres, CV_32F, 1.0 / scale);
  return metres;
}

void write_rgb(const std::string& path, const cv::Mat& rgb) {
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  encode(path, bgr);
}

void write_depth(const std::string& path, const cv::Mat& depth, double scale) {
  cv::Mat scaled = depth * scale;
  // NaN fails both comparisons below, so it is caught by patchNaNs first.
  cv::patchNaNs(scaled, 0);
  scaled.setTo(0, (scaled <= 0) | (scaled > 65535.0));
  cv::Mat raw;
  scaled.convertTo(raw, CV_16U);  // rounds to nearest
  encode(path, raw);
}

}  // namespace depthguard
