#pragma once
// A generic dataset: rgb/ and depth/ folders whose files are matched by stem.
#include <string>
#include <vector>

#include <torch/arg.h>

#include "depthguard/data/rgbd_dataset.h"

namespace depthguard {

struct FolderOptions {
  TORCH_ARG(std::string, root);
  TORCH_ARG(std::string, rgb_dir) = "rgb";
  TORCH_ARG(std::string, depth_dir) = "depth";
  /// Depth PNG units per metre.
  TORCH_ARG(double, depth_scale) = 1000.0;
  TORCH_ARG(double, focal) = 0.0;
};

class FolderDataset : public RgbdDataset {
 public:
  /// Lists root/rgb_dir (.png, .jpg, .jpeg) in name order and pairs each image with the
  /// root/depth_dir PNG of the same stem. Throws DataError naming the folder when it is
  /// missing or empty, and naming the image when its depth file is missing.
  explicit FolderDataset(FolderOptions options);
  int64_t size() const override { return static_cast<int64_t>(pairs_.size()); }
  RgbdSample get(int64_t index) const override;

 private:
  FolderOptions options_;
  std::vector<std::pair<std::string, std::string>> pairs_;
};

}  // namespace depthguard
