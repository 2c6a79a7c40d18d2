#include "depthguard/data/image_io.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <string_view>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "depthguard/data/data_error.h"
#include "depthguard/data/image_codec.h"
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

// A JPEG or PNG without its end marker is cut short: what is wrong with it, or none. The
// decoder refuses such a stream too, but this check needs no decoding (is_complete_image_file)
// and says plainly what happened. The window allows the padding some writers put after the
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

// Encoded in memory, then written by write_file_atomically: a full disk is an error naming
// the file, never a truncated image.
void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  try {
    write_file_atomically(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
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

cv::Mat read_image(const std::string& path) {
  std::error_code error;  // a name too long or a folder without access is the file's error too
  const auto status = std::filesystem::status(path, error);
  if (status.type() == std::filesystem::file_type::not_found) throw DataError(path + ": file not found");
  if (error) throw DataError(path + ": " + error.message());
  if (std::filesystem::is_directory(status)) throw DataError(path + ": is a directory, not an image");
  const auto bytes = file_bytes(path);
  if (const auto reason = truncation(bytes)) throw DataError(path + ": " + *reason);
  try {
    return decode_image(bytes);
  } catch (const std::runtime_error& e) {
    throw DataError(path + ": cannot decode image (" + e.what() + ")");
  }
}

cv::Mat read_rgb(const std::string& path) {
  cv::Mat image = read_image(path);
  if (image.depth() == CV_16U) image.convertTo(image, CV_8U, 1.0 / 257.0);
  cv::Mat rgb;
  switch (image.channels()) {
    case 1:
      cv::cvtColor(image, rgb, cv::COLOR_GRAY2RGB);
      break;
    case 2:  // grey and alpha
      cv::extractChannel(image, rgb, 0);
      cv::cvtColor(rgb, rgb, cv::COLOR_GRAY2RGB);
      break;
    case 3:
      rgb = image;
      break;
    default:
      cv::cvtColor(image, rgb, cv::COLOR_RGBA2RGB);
      break;
  }
  return rgb;
}

cv::Mat read_depth(const std::string& path, double scale) {
  const cv::Mat raw = read_image(path);
  if (raw.channels() != 1) {
    throw DataError(path + ": depth must have 1 channel, found " + std::to_string(raw.channels()));
  }
  if (raw.depth() != CV_16U) throw DataError(path + ": depth must be a 16-bit PNG, found 8-bit or other");
  cv::Mat metres;
  raw.convertTo(metres, CV_32F, 1.0 / scale);
  return metres;
}

void write_image(const std::string& path, const cv::Mat& image) {
  const auto extension = std::filesystem::path(path).extension().string();
  try {
    if (extension == ".png") return write_bytes(path, encode_png(image));
    if (extension == ".jpg" || extension == ".jpeg") return write_bytes(path, encode_jpeg(image));
  } catch (const std::logic_error& e) {  // a type the format cannot hold
    throw DataError(path + ": cannot encode image (" + e.what() + ")");
  } catch (const DataError&) {
    throw;
  } catch (const std::runtime_error& e) {
    throw DataError(path + ": cannot encode image (" + e.what() + ")");
  }
  throw DataError(path + ": cannot write an image as '" + extension + "' (use .png, .jpg or .jpeg)");
}

void write_rgb(const std::string& path, const cv::Mat& rgb) {
  if (rgb.type() != CV_8UC3) throw DataError(path + ": write_rgb takes 8-bit RGB (CV_8UC3)");
  write_image(path, rgb);
}

void write_depth(const std::string& path, const cv::Mat& depth, double scale) {
  cv::Mat scaled = depth * scale;
  // NaN fails both comparisons below, so it is caught by patchNaNs first.
  cv::patchNaNs(scaled, 0);
  scaled.setTo(0, (scaled <= 0) | (scaled > 65535.0));
  cv::Mat raw;
  scaled.convertTo(raw, CV_16U);  // rounds to nearest
  write_image(path, raw);
}

}  // namespace depthguard
