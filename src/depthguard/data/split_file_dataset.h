#pragma once
// The BTS / GLPDepth dataset layout shared by NYU Depth v2 and KITTI: a split file whose
// lines are "rgb_path depth_path [focal]", paths relative to two roots.
#include <string>
#include <vector>

#include <torch/arg.h>

#include "depthguard/data/rgbd_dataset.h"

namespace depthguard {

struct SplitFileOptions {
  TORCH_ARG(std::string, split_file);
  TORCH_ARG(std::string, rgb_root);    ///< joined before each rgb_path
  TORCH_ARG(std::string, depth_root);  ///< joined before each depth_path
  /// Depth PNG units per metre: NYU 1000 (millimetres), KITTI 256.
  TORCH_ARG(double, depth_scale) = 1000.0;
  /// KITTI's KB crop: the bottom 352 rows and the central 1216 columns.
  TORCH_ARG(bool, kb_crop) = false;
  /// Focal length when a line has none (pixels).
  TORCH_ARG(double, default_focal) = 518.8579;
};

/// NYU: depth_scale 1000. KITTI: depth_scale 256, kb_crop on, default focal 721.5377.
SplitFileOptions nyu_split(std::string split_file, std::string root);
SplitFileOptions kitti_split(std::string split_file, std::string rgb_root, std::string depth_root);

class SplitFileDataset : public RgbdDataset {
 public:
  /// Reads the split file. Lines whose depth path is "None" (BTS' KITTI files, frames
  /// without LiDAR) are left out and counted. Throws DataError naming the split file and
  /// line for a missing file or a malformed line.
  explicit SplitFileDataset(SplitFileOptions options);
  int64_t size() const override { return static_cast<int64_t>(entries_.size()); }
  RgbdSample get(int64_t index) const override;
  int64_t lines_without_depth() const { return without_depth_; }

 private:
  struct Entry {
    std::string rgb, depth;
    double focal;
  };
  SplitFileOptions options_;
  std::vector<Entry> entries_;
  int64_t without_depth_ = 0;
};

/// KITTI's KB crop of an image of at least 352x1216. Throws DataError naming `source`.
void kb_crop(RgbdSample& sample, const std::string& source);

}  // namespace depthguard
