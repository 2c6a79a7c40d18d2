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
  // Every entry named as an image is a sample, whatever it is: a directory or a dangling link
  // named x.png fails when read, naming itself, and on_bad_sample decides (stop, or skip and
  // count), instead of being left out without a word.
  std::vector<fs::directory_entry> images;
  for (const auto& entry : fs::directory_iterator(rgb_dir)) {
    auto ext = entry.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
    if (ext == ".png" || ext == ".jpg" || ext == ".jpeg") images.push_back(entry);
  }
  if (images.empty()) throw DataError(rgb_dir.string() + ": no .png or .jpg images");
  std::sort(images.begin(), images.end());
  for (const auto& image : images) {
    const auto depth = depth_dir / (image.path().stem().string() + ".png");
    // A pair is read image first: an entry that is no file says so then, depth file or not.
    if (image.is_regular_file() && !fs::exists(depth)) {
      throw DataError(image.path().string() + ": no depth file " + depth.string());
    }
    pairs_.emplace_back(image.path().string(), depth.string());
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
