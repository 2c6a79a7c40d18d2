#include "depthguard/data/split_file_dataset.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "depthguard/data/data_error.h"
#include "depthguard/data/image_io.h"

namespace depthguard {

namespace fs = std::filesystem;

SplitFileOptions nyu_split(std::string split_file, std::string root) {
  return SplitFileOptions().split_file(std::move(split_file)).rgb_root(root).depth_root(root);
}

SplitFileOptions kitti_split(std::string split_file, std::string rgb_root, std::string depth_root) {
  return SplitFileOptions()
      .split_file(std::move(split_file))
      .rgb_root(std::move(rgb_root))
      .depth_root(std::move(depth_root))
      .depth_scale(256.0)
      .kb_crop(true)
      .default_focal(721.5377);
}

SplitFileDataset::SplitFileDataset(SplitFileOptions options) : options_(std::move(options)) {
  // A directory opens as a stream that reads nothing: said as what it is, not as an empty list.
  if (std::filesystem::is_directory(options_.split_file())) {
    throw DataError(options_.split_file() + ": is a directory, not a split file");
  }
  std::ifstream file(options_.split_file());
  if (!file) throw DataError(options_.split_file() + ": split file not found or unreadable");
  std::string line;
  for (int number = 1; std::getline(file, line); ++number) {
    std::istringstream fields(line);
    std::string rgb, depth, focal;
    if (!(fields >> rgb)) continue;  // blank line
    const auto where = options_.split_file() + ":" + std::to_string(number);
    // The file calls would read a path only up to a NUL: another file than the line names.
    if (line.find('\0') != std::string::npos) throw DataError(where + ": a NUL byte in the line (damaged file?)");
    if (!(fields >> depth)) throw DataError(where + ": expected 'rgb_path depth_path [focal]'");
    if (depth == "None") {
      ++without_depth_;
      continue;
    }
    double f = options_.default_focal();
    if (fields >> focal) {
      size_t used = 0;
      try {
        f = std::stod(focal, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != focal.size() || !(f > 0) || !std::isfinite(f)) {
        throw DataError(where + ": focal '" + focal + "' is not a positive number of pixels");
      }
    }
    if (std::string extra; fields >> extra) {
      throw DataError(where + ": unexpected column '" + extra + "'; expected 'rgb_path depth_path [focal]'");
    }
    // BTS' files write paths with a leading '/', meant relative to the root.
    const auto join = [](const std::string& root, const std::string& p) {
      return (fs::path(root) / fs::path(p).relative_path()).string();
    };
    entries_.push_back({join(options_.rgb_root(), rgb), join(options_.depth_root(), depth), f});
  }
}

RgbdSample SplitFileDataset::get(int64_t index) const {
  const auto& e = entries_.at(static_cast<size_t>(index));
  RgbdSample s;
  s.rgb = read_rgb(e.rgb);
  s.depth = read_depth(e.depth, options_.depth_scale());
  s.id = fs::path(e.rgb).stem().string();
  s.focal = e.focal;
  validate_sample(s, e.rgb);
  if (options_.kb_crop()) kb_crop(s, e.rgb);
  return s;
}

void kb_crop(RgbdSample& s, const std::string& source) {
  constexpr int kHeight = 352, kWidth = 1216;
  if (s.rgb.rows < kHeight || s.rgb.cols < kWidth) {
    throw DataError(source + ": KB crop needs at least 1216x352, image is " + std::to_string(s.rgb.cols) +
                    "x" + std::to_string(s.rgb.rows));
  }
  const cv::Rect roi((s.rgb.cols - kWidth) / 2, s.rgb.rows - kHeight, kWidth, kHeight);
  s.rgb = s.rgb(roi).clone();
  s.depth = s.depth(roi).clone();
}

}  // namespace depthguard
