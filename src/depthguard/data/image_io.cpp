#include "depthguard/data/image_io.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <string_view>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "depthguard/data/data_error.h"
#include "depthguard/runtime/atomic_file.h"

namespace depthguard {

namespace {

std::vector<uchar> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path + ": cannot open");
  return std::vector<uchar>((std::istreambuf_iterator<char>(in)), {});
}

bool starts_with(const std::vector<uchar>& bytes, std::initializer_list<uchar> magic) {
  return bytes.size() >= magic.size() && std::equal(magic.begin(), magic.end(), bytes.begin());
}

// Whether `marker` occurs within the last `window` bytes.
bool ends_near(const std::vector<uchar>& bytes, std::initializer_list<uchar> marker, size_t window) {
  const auto from = bytes.end() - static_cast<std::ptrdiff_t>(std::min(window, bytes.size()));
  return std::search(from, bytes.end(), marker.begin(), marker.end()) != bytes.end();
}

// A JPEG or PNG cut short decodes "successfully" with its missing part grey (libjpeg only
// warns "Premature end of JPEG file"), so a file without its end marker is refused instead:
// what is wrong with it, or none. The window allows the padding some writers put after the
// marker.
std::optional<std::string> truncation(const std::vector<uchar>& bytes) {
  constexpr size_t kWindow = 1024;
  if (starts_with(bytes, {0xFF, 0xD8}) && !ends_near(bytes, {0xFF, 0xD9}, kWindow)) {
    return "truncated JPEG (no end-of-image marker)";
  }
  if (starts_with(bytes, {0x89, 'P', 'N', 'G'}) && !ends_near(bytes, {'I', 'E', 'N', 'D'}, kWindow)) {
    return "truncated PNG (no IEND chunk)";
  }
  return std::nullopt;
}

cv::Mat decode(const std::string& path, int flags) {
  std::error_code error;  // a name too long or a folder without access is the file's error too
  const auto status = std::filesystem::status(path, error);
  if (status.type() == std::filesystem::file_type::not_found) throw DataError(path + ": file not found");
  if (error) throw DataError(path + ": " + error.message());
  if (std::filesystem::is_directory(status)) throw DataError(path + ": is a directory, not an image");
  cv::Mat image;
  try {
    const auto bytes = file_bytes(path);
    if (const auto reason = truncation(bytes)) throw DataError(path + ": " + *reason);
    image = cv::imdecode(bytes, flags);
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

bool is_complete_image_file(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) return false;
  const auto bytes = file_bytes(path);
  return !bytes.empty() && !truncation(bytes);
}

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
