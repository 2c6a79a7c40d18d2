#include "depthguard/config/data_config.h"

#include <limits>
#include <string>

#include "depthguard/config/yaml_section.h"
#include "depthguard/data/augment_options.h"
#include "depthguard/data/folder_dataset.h"
#include "depthguard/data/rgbd_dataset.h"
#include "depthguard/data/split_file_dataset.h"
#include "depthguard/data/synth/degradation_options.h"
#include "depthguard/data/synth/synthetic_dataset.h"

namespace depthguard {

const ChoiceTable<DatasetKind>& dataset_kind_choices() {
  static const ChoiceTable<DatasetKind> table{{"synthetic", DatasetKind::Synthetic},
                                              {"nyu", DatasetKind::Nyu},
                                              {"kitti", DatasetKind::Kitti},
                                              {"folder", DatasetKind::Folder}};
  return table;
}

namespace {

constexpr int64_t kMaxSize = 1 << 15;

SynthOptions read_synthetic(YamlSection& s, DataConfig& config) {
  config.count = s.integer("count", config.count, 1, std::numeric_limits<int32_t>::max());
  config.first_index = s.integer("first_index", config.first_index, 0, std::numeric_limits<int64_t>::max() / 2);
  const SynthOptions& d = config.synthetic;
  const DegradationOptions& g = d.degradation();
  auto options = SynthOptions()
      .height(static_cast<int>(s.integer("height", d.height(), 1, kMaxSize)))
      .width(static_cast<int>(s.integer("width", d.width(), 1, kMaxSize)))
      .seed(static_cast<uint64_t>(s.integer("seed", static_cast<int64_t>(d.seed()), 0, std::numeric_limits<int64_t>::max())))
      .min_objects(static_cast<int>(s.integer("min_objects", d.min_objects(), 0, 100)))
      .max_objects(static_cast<int>(s.integer("max_objects", d.max_objects(), 0, 100)))
      .shadows(s.get<bool>("shadows", d.shadows()))
      .degradation(DegradationOptions()
                       .holes(s.number("holes", g.holes(), 0, 100))
                       .max_range(s.number("max_range", g.max_range(), 0, kUnbounded))
                       .pattern(s.choice("sparsity", sparse_pattern_choices(), g.pattern()))
                       .valid_fraction(s.number("valid_fraction", g.valid_fraction(), 1e-6, 1)));
  if (options.min_objects() > options.max_objects()) {
    throw ConfigError(s.key_path("min_objects") + " must not exceed " + s.key_path("max_objects") + " (" +
                      std::to_string(options.min_objects()) + " > " + std::to_string(options.max_objects()) + ")");
  }
  return options;
}

AugmentOptions read_augment(YamlSection& a) {
  const AugmentOptions d;
  return AugmentOptions()
      .crop_height(static_cast<int>(a.integer("crop_height", d.crop_height(), 0, kMaxSize)))
      .crop_width(static_cast<int>(a.integer("crop_width", d.crop_width(), 0, kMaxSize)))
      .flip(a.get<bool>("flip", d.flip()))
      .rotate_degrees(a.number("rotate_degrees", d.rotate_degrees(), 0, 180))
      .scale_min(a.number("scale_min", d.scale_min(), 0.05, 20))
      .scale_max(a.number("scale_max", d.scale_max(), 0.05, 20))
      .brightness(a.number("brightness", d.brightness(), 0, 1))
      .contrast(a.number("contrast", d.contrast(), 0, 1))
      .saturation(a.number("saturation", d.saturation(), 0, 1))
      .gamma(a.number("gamma", d.gamma(), 0, 1));
}

void require(const std::string& value, const YamlSection& data, const std::string& key, const std::string& kind) {
  if (value.empty()) throw ConfigError(data.key_path(key) + ": required for dataset " + kind);
}

}  // namespace

DataConfig read_data_config(YamlSection& data, const DataConfig& defaults) {
  DataConfig c = defaults;
  c.kind = data.choice("dataset", dataset_kind_choices(), c.kind);
  c.split = data.get<std::string>("split", c.split);
  c.root = data.get<std::string>("root", c.root);
  c.depth_root = data.get<std::string>("depth_root", c.depth_root);
  c.depth_scale = data.number("depth_scale", c.depth_scale, 0, kUnbounded);
  c.kb_crop = data.get<bool>("kb_crop", c.kb_crop);
  const LoaderOptions& d = defaults.loader;
  c.loader.batch_size(data.integer("batch_size", d.batch_size(), 1, 4096))
      .workers(static_cast<int>(data.integer("workers", d.workers(), 1, 256)))
      .prefetch(static_cast<int>(data.integer("prefetch", d.prefetch(), 1, 64)))
      .shuffle(data.get<bool>("shuffle", d.shuffle()))
      .on_bad_sample(data.choice("on_bad_sample", bad_sample_policy_choices(), d.on_bad_sample()));
  auto synthetic = data.section("synthetic");
  c.synthetic = read_synthetic(synthetic, c);
  synthetic.finish();
  auto augment = data.section("augment");
  c.loader.augment(augment.present() ? std::optional(read_augment(augment)) : std::nullopt);
  augment.finish();

  const auto& kind = choice_name(dataset_kind_choices(), c.kind);
  if (c.kind == DatasetKind::Nyu || c.kind == DatasetKind::Kitti) require(c.split, data, "split", kind);
  if (c.kind != DatasetKind::Synthetic) require(c.root, data, "root", kind);
  return c;
}

std::shared_ptr<RgbdDataset> make_dataset(const DataConfig& c) {
  const auto scale = [&](double own) { return c.depth_scale > 0 ? c.depth_scale : own; };
  switch (c.kind) {
    case DatasetKind::Synthetic:
      return std::make_shared<SyntheticDataset>(c.count, c.synthetic, c.first_index);
    case DatasetKind::Nyu:
      return std::make_shared<SplitFileDataset>(nyu_split(c.split, c.root).depth_scale(scale(1000)));
    case DatasetKind::Kitti:
      return std::make_shared<SplitFileDataset>(
          kitti_split(c.split, c.root, c.depth_root.empty() ? c.root : c.depth_root).depth_scale(scale(256)).kb_crop(c.kb_crop));
    case DatasetKind::Folder:
      return std::make_shared<FolderDataset>(FolderOptions().root(c.root).depth_scale(scale(1000)));
  }
  throw std::logic_error("unhandled DatasetKind");
}

}  // namespace depthguard
