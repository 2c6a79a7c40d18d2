#include "depthguard/data/folder_dataset.h"

#include <algorithm>
#include <filesystem>

#include "depthguard/data/data_error.h"
#include "depthguard/data/image_io.h"

namespace depthguard {

namespace fs = std::filesystem;

FolderDataset::FolderDataset(FolderOptions options) : options_(std::move(options)) {
  const fs::path rgb_dir = fs::path(options_.root()) / options_.rgb_dir();
  const fs::path depth_dir = fs::path(options_.root()) / options_.depth_dir();
  if (!fs::is_directory(rgb_dir)) throw DataError(rgb_dir.string() + ": folder not found");
  std::vector<fs::path> images;
  for (const auto& entry : fs::directory_iterator(rgb_dir)) {
    auto ext = entry.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
    if (entry.is_regular_file() && (ext == ".png" || ext == ".jpg" || ext == ".jpeg")) {
      images.push_back(entry.path());
    }
  }
  if (images.empty()) throw DataError(rgb_dir.string() + ": no .png or .jpg images");
  std::sort(images.begin(), images.end());
  for (const auto& image : images) {
    const auto depth = depth_dir / (image.stem().string() + ".png");
    if (!fs::exists(depth)) throw DataError(image.string() + ": no depth file " + depth.string());
    pairs_.emplace_back(image.string(), depth.string());
  }
}

RgbdSample FolderDataset::get(int64_t index) const {
  const auto& [rgb, depth] = pairs_.at(static_cast<size_t>(index));
  RgbdSample s;
  s.rgb = read_rgb(rgb);
  s.depth = read_depth(depth, options_.depth_scale());
  s.id = fs::path(rgb).stem().string();
  s.focal = options_.focal();
  validate_sample(s, rgb);
  return s;
}

}  // namespace depthguard
