#pragma once
// The `data` section of a config: which dataset, how it is loaded and augmented.
#include <cstdint>
#include <memory>
#include <string>

#include "depthguard/config/yaml_section.h"
#include "depthguard/data/loader_options.h"
#include "depthguard/data/synth/synth_options.h"

namespace depthguard {

class RgbdDataset;  // data/rgbd_dataset.h

enum class DatasetKind { Synthetic, Nyu, Kitti, Folder };
const ChoiceTable<DatasetKind>& dataset_kind_choices();

struct DataConfig {
  DatasetKind kind = DatasetKind::Synthetic;
  std::string split;       ///< nyu, kitti: the split file
  std::string root;        ///< nyu: root of both paths; kitti: RGB root; folder: the folder
  std::string depth_root;  ///< kitti: depth root (default: root)
  double depth_scale = 0;  ///< 0: the dataset's own (nyu/folder 1000, kitti 256)
  bool kb_crop = true;     ///< kitti only
  int64_t count = 1000;    ///< synthetic: scenes
  int64_t first_index = 0; ///< synthetic: index of the first scene
  /// 256 x 320 rather than the renderer's 240 x 320: a training side must be a multiple of 32.
  SynthOptions synthetic = SynthOptions().height(256);
  LoaderOptions loader;
};

/// Keys: dataset, split, root, depth_root, depth_scale, kb_crop, batch_size, workers,
/// prefetch, shuffle, on_bad_sample, and the subsections `synthetic` (count, first_index,
/// height, width, seed, min_objects, max_objects, shadows, holes, max_range, sparsity,
/// valid_fraction) and `augment` (crop_height, crop_width, flip, rotate_degrees,
/// scale_min, scale_max, brightness, contrast, saturation, gamma; absent = no augmentation).
/// See docs/config.md. Absent keys take their value from `defaults`.
DataConfig read_data_config(YamlSection& data, const DataConfig& defaults = DataConfig());

/// The dataset the config names. Throws ConfigError for a missing required key and
/// DataError for a missing split file or folder.
std::shared_ptr<RgbdDataset> make_dataset(const DataConfig& config);

}  // namespace depthguard
