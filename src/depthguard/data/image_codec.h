#pragma once
// PNG and JPEG in memory, on libpng and libjpeg-turbo directly: exact 16-bit depth values
// (no gamma or colour handling between the file and the pixels), damaged streams refused
// rather than half decoded, and only OpenCV's core and imgproc needed to build (its
// imgcodecs pulls in a hundred libraries, GDAL among them, that a GPU box may not have).
#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace depthguard {

/// Images above this many pixels are refused before their pixels are allocated: a small
/// file can claim any size in its header (a "decompression bomb").
inline constexpr int64_t kMaxImagePixels = int64_t{1} << 27;

/// The pixels of a PNG or JPEG file, as stored: CV_8U, or CV_16U (PNG), with 1 (grey),
/// 2 (grey, alpha), 3 (RGB) or 4 (RGBA) channels in the file's order (red first, not
/// OpenCV's BGR). Palette and sub-8-bit PNGs are expanded to 8 bits, a tRNS chunk to alpha;
/// 16-bit samples are returned exactly as stored. Throws std::runtime_error with the
/// reason (the caller adds the file's name) for another format, a corrupt or truncated
/// stream (PNG: a CRC error, data or chunks missing; JPEG: libjpeg's warnings, such as a
/// premature end or corrupt data, count as errors), a CMYK JPEG, or more than
/// kMaxImagePixels pixels.
cv::Mat decode_image(const std::vector<uint8_t>& bytes);

/// A PNG file of `image`: CV_8U or CV_16U with 1 to 4 channels in the order above. Throws
/// std::invalid_argument for another type.
std::vector<uint8_t> encode_png(const cv::Mat& image);

/// A baseline JPEG file of `image` (CV_8U, 1 or 3 channels, red first) at `quality` (1 to
/// 100). Throws std::invalid_argument for another type or quality.
std::vector<uint8_t> encode_jpeg(const cv::Mat& image, int quality = 95);

}  // namespace depthguard
