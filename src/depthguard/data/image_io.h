#pragma once
// Reading and writing the image files of the dataset layouts, with errors that name the file.
#include <string>

#include <opencv2/core.hpp>

namespace depthguard {

/// A PNG or JPEG file's pixels as stored (decode_image in image_codec.h: 8 or 16 bits, 1 to
/// 4 channels, red first). Throws DataError naming the file when it is missing, a
/// directory, cut short, or does not decode.
cv::Mat read_image(const std::string& path);

/// An image file as 8-bit RGB (CV_8UC3). Greyscale is replicated, alpha dropped, 16-bit
/// colour scaled to 8 bits. Throws DataError as read_image.
cv::Mat read_rgb(const std::string& path);

/// A single-channel 16-bit PNG depth map, divided by `scale` (NYU: 1000, millimetres;
/// KITTI: 256), as CV_32FC1 metres with 0 for invalid. Throws DataError naming the file
/// when it is missing, does not decode, is not 16-bit or has more than one channel.
cv::Mat read_depth(const std::string& path, double scale);

/// Writes `image` (8 or 16 bits, 1 to 4 channels, red first; JPEG: 8 bits, 1 or 3 channels)
/// as PNG (".png") or JPEG (".jpg", ".jpeg", quality 95) by extension, atomically. Throws
/// DataError naming the file for another extension or type, or a failed write.
void write_image(const std::string& path, const cv::Mat& image);

/// Writes RGB (CV_8UC3) as write_image does. Throws DataError.
void write_rgb(const std::string& path, const cv::Mat& rgb);

/// True when `path` is a regular, non-empty file that is not cut short: a JPEG or PNG
/// that ends with its end marker (other formats are not checked). Reads the file, does
/// not decode it. Throws DataError when it exists but cannot be opened.
bool is_complete_image_file(const std::string& path);

/// Writes metres (CV_32FC1) as a 16-bit PNG of round(depth * scale), atomically.
/// Non-finite, non-positive and unrepresentable (> 65535 / scale) depths become 0, the
/// invalid marker. Throws DataError.
void write_depth(const std::string& path, const cv::Mat& depth, double scale);

}  // namespace depthguard
