#include "depthguard/config/data_config.h"

#include "data/data_test_support.h"
#include "depthguard/config/yaml_section.h"
#include "depthguard/core/errors.h"
#include "depthguard/data/loader_options.h"
#include "depthguard/data/rgbd_dataset.h"
#include "depthguard/data/synth/dataset_writer.h"
#include "depthguard/data/synth/degradation_options.h"
#include "depthguard/data/synth/synthetic_scenes.h"
#include "test_support.h"

namespace depthguard {
namespace {

DataConfig read(const std::string& yaml) {
  YamlSection data(YAML::Load(yaml)["data"], "data");
  auto c = read_data_config(data);
  data.finish();
  return c;
}

std::string error_of(const std::string& yaml) {
  return testing::error_message<ConfigError>([&] { read(yaml); });
}

TEST(DataConfig, DefaultsAreStreamedSyntheticScenesWithoutAugmentation) {
  const auto c = read("data: {}");
  EXPECT_EQ(c.kind, DatasetKind::Synthetic);
  EXPECT_FALSE(c.loader.augment().has_value());
  EXPECT_EQ(make_dataset(c)->size(), 1000);
}

TEST(DataConfig, ReadsNestedSectionsAndPolicies) {
  const auto c = read(R"(
data:
  batch_size: 4
  workers: 2
  on_bad_sample: skip
  synthetic: {count: 12, first_index: 100, height: 24, width: 32, sparsity: scanlines, valid_fraction: 0.25}
  augment: {crop_height: 16, crop_width: 16, brightness: 0.1}
)");
  EXPECT_EQ(c.loader.batch_size(), 4);
  EXPECT_EQ(c.loader.on_bad_sample(), BadSamplePolicy::Skip);
  EXPECT_EQ(c.count, 12);
  EXPECT_EQ(c.synthetic.degradation().pattern(), SparsePattern::Scanlines);
  ASSERT_TRUE(c.loader.augment().has_value());
  EXPECT_EQ(c.loader.augment()->crop_width(), 16);
  const auto dataset = make_dataset(c);
  EXPECT_TRUE(testing::same(dataset->get(0).depth, render_synthetic(100, c.synthetic).depth));
}

TEST(DataConfig, ErrorsNameTheKey) {
  EXPECT_EQ(error_of("data: {dataset: imagenet}"), "data.dataset: 'imagenet' is not one of synthetic, nyu, kitti, folder");
  EXPECT_EQ(error_of("data: {dataset: nyu, root: /x}"), "data.split: required for dataset nyu");
  EXPECT_EQ(error_of("data: {on_bad_sample: ignore}"), "data.on_bad_sample: 'ignore' is not one of error, skip");
  EXPECT_EQ(error_of("data: {augment: {crop: 3}}").rfind("data.augment.crop: unknown key", 0), 0u);
  EXPECT_EQ(error_of("data: {synthetic: {valid_fraction: 0}}"), "data.synthetic.valid_fraction: 0 is outside [1e-06, 1]");
  EXPECT_EQ(error_of("data: {batch_size: 0}"), "data.batch_size: 0 is outside [1, 4096]");
  EXPECT_EQ(error_of("data: {synthetic: {min_objects: 5, max_objects: 2}}"),
            "data.synthetic.min_objects must not exceed data.synthetic.max_objects (5 > 2)");
}

TEST(DataConfig, NyuLayoutFromDisk) {
  testing::TempDir dir("data_config");
  write_synthetic_dataset(SynthDatasetOptions().out(dir.str()).count(3).test_fraction(0).scenes(testing::small_scenes()),
                          [](int64_t) { return true; });
  const auto c = read("data: {dataset: nyu, split: " + (dir / "train.txt").string() + ", root: " + dir.str() + "}");
  EXPECT_EQ(make_dataset(c)->size(), 3);
  const auto folder = read("data: {dataset: folder, root: " + dir.str() + "}");
  EXPECT_EQ(make_dataset(folder)->size(), 3);
}

}  // namespace
}  // namespace depthguard
