#include "depthguard/data/data_loader.h"

#include <algorithm>
#include <stdexcept>

#include "data/data_test_support.h"
#include "depthguard/core/errors.h"
#include "depthguard/data/augment_options.h"
#include "depthguard/data/data_error.h"
#include "depthguard/data/rgbd_dataset.h"
#include "depthguard/data/rgbd_sample.h"
#include "depthguard/data/synth/degradation_options.h"
#include "depthguard/data/synth/synthetic_dataset.h"
#include "depthguard/data/synth/synthetic_scenes.h"
#include "test_support.h"

namespace depthguard {
namespace {

std::shared_ptr<const RgbdDataset> scenes(int64_t n) {
  return std::make_shared<SyntheticDataset>(n, testing::small_scenes().degradation(DegradationOptions().holes(2)));
}

// A dataset whose sample `bad` cannot be read.
class BrokenDataset : public RgbdDataset {
 public:
  explicit BrokenDataset(int64_t bad) : inner_(scenes(8)), bad_(bad) {}
  int64_t size() const override { return inner_->size(); }
  RgbdSample get(int64_t i) const override {
    if (i == bad_) throw DataError("broken.png: cannot decode image");
    return inner_->get(i);
  }

 private:
  std::shared_ptr<const RgbdDataset> inner_;
  int64_t bad_;
};

std::vector<Batch> whole_epoch(DataLoader& loader, int64_t epoch) {
  loader.start_epoch(epoch);
  std::vector<Batch> out;
  while (auto b = loader.next()) out.push_back(std::move(*b));
  return out;
}

TEST(EpochOrder, DeterministicPerSeedAndEpochAndShardsCoverEverything) {
  const auto o = LoaderOptions().seed(4);
  EXPECT_EQ(epoch_order(50, o, 2), epoch_order(50, o, 2));
  EXPECT_NE(epoch_order(50, o, 2), epoch_order(50, o, 3));
  std::vector<int64_t> all;
  for (int64_t r = 0; r < 3; ++r) {
    const auto mine = epoch_order(50, LoaderOptions().seed(4).rank(r).world_size(3), 2);
    EXPECT_EQ(mine.size(), 17u);  // ceil(50 / 3), padded by repetition
    EXPECT_EQ(samples_per_rank(50, LoaderOptions().world_size(3)), 17);
    all.insert(all.end(), mine.begin(), mine.end());
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  EXPECT_EQ(all.size(), 50u);
  EXPECT_EQ(epoch_order(5, LoaderOptions().shuffle(false), 0), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(epoch_order(0, o, 0).empty());
}

TEST(DataLoader, BatchesHaveTheDocumentedShapesAndMask) {
  DataLoader loader(scenes(10), LoaderOptions().batch_size(4).workers(2));
  EXPECT_EQ(loader.batches_per_epoch(), 2);
  const auto batches = whole_epoch(loader, 0);
  ASSERT_EQ(batches.size(), 2u);
  const auto& b = batches[0];
  EXPECT_EQ(b.image.sizes(), torch::IntArrayRef({4, 3, 48, 64}));
  EXPECT_EQ(b.depth.sizes(), torch::IntArrayRef({4, 1, 48, 64}));
  EXPECT_TRUE(torch::equal(b.mask, b.depth > 0));
  EXPECT_EQ(b.ids.size(), 4u);
  const auto& first = render_synthetic(static_cast<uint64_t>(b.indices[0]),
                                       testing::small_scenes().degradation(DegradationOptions().holes(2)));
  EXPECT_FLOAT_EQ(b.depth[0][0][10][20].item<float>(), first.depth.at<float>(10, 20));
  EXPECT_NEAR(b.image[0][0][10][20].item<float>(), (first.rgb.at<cv::Vec3b>(10, 20)[0] / 255.0 - 0.485) / 0.229, 1e-5);
}

TEST(DataLoader, SameSeedSameBatchesWhateverTheWorkerCount) {
  const auto opts = LoaderOptions().batch_size(3).seed(11).augment(AugmentOptions().crop_height(32).crop_width(32).brightness(0.2));
  DataLoader one(scenes(9), LoaderOptions(opts).workers(1));
  DataLoader three(scenes(9), LoaderOptions(opts).workers(3).prefetch(1));
  const auto a = whole_epoch(one, 1), b = whole_epoch(three, 1);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].indices, b[i].indices);
    EXPECT_TRUE(torch::equal(a[i].image, b[i].image));
    EXPECT_TRUE(torch::equal(a[i].depth, b[i].depth));
  }
  EXPECT_NE(whole_epoch(one, 2)[0].indices, a[0].indices);
}

TEST(DataLoader, BadSamplePolicies) {
  DataLoader strict(std::make_shared<BrokenDataset>(3), LoaderOptions().batch_size(4).shuffle(false));
  strict.start_epoch(0);
  EXPECT_THROW(strict.next(), DataError);
  DataLoader lenient(std::make_shared<BrokenDataset>(3),
                     LoaderOptions().batch_size(4).shuffle(false).on_bad_sample(BadSamplePolicy::Skip));
  const auto batches = whole_epoch(lenient, 0);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0].indices, (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(lenient.skipped(), 1);
}

TEST(DataLoader, MixedSizesWithoutACropStopLoadingEvenWhenSkippingBadSamples) {
  class Mixed : public RgbdDataset {
   public:
    int64_t size() const override { return 2; }
    RgbdSample get(int64_t i) const override { return render_synthetic(0, testing::small_scenes().width(64 + 8 * int(i))); }
  };
  // Not a bad sample (a DataError the skip policy would drop) and not a bad option: the
  // dataset needs a crop.
  DataLoader loader(std::make_shared<Mixed>(),
                    LoaderOptions().batch_size(2).shuffle(false).on_bad_sample(BadSamplePolicy::Skip));
  loader.start_epoch(0);
  const auto message = testing::error_message<std::runtime_error>([&] { loader.next(); });
  EXPECT_NE(message.find("differ in size"), std::string::npos) << message;
}

TEST(DataLoader, BadOptionsAreNamed) {
  const auto dataset = std::make_shared<SyntheticDataset>(4, testing::small_scenes());
  const auto message = testing::error_message<InvalidArgument>([&] { DataLoader(dataset, LoaderOptions().batch_size(0)); });
  EXPECT_NE(message.find("batch_size must be >= 1, got 0"), std::string::npos) << message;
  EXPECT_THROW(DataLoader(dataset, LoaderOptions().rank(2).world_size(2)), InvalidArgument);
}

TEST(DataLoader, RestartingAnEpochMidwayIsClean) {
  DataLoader loader(scenes(12), LoaderOptions().batch_size(2).workers(2).prefetch(1));
  loader.start_epoch(0);
  const auto first = loader.next();
  loader.start_epoch(0);  // abandons the running epoch
  EXPECT_EQ(loader.next()->indices, first->indices);
}

}  // namespace
}  // namespace depthguard
