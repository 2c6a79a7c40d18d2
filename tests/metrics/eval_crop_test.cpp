#include "depthguard/metrics/eval_crop.h"

#include "test_support.h"

namespace depthguard {
namespace {

// The crop's bounding rows and columns, half-open, read back from the mask.
std::array<int64_t, 4> bounds(const torch::Tensor& mask) {
  const auto rows = mask.any(1).nonzero();
  const auto cols = mask.any(0).nonzero();
  return {rows.min().item<int64_t>(), rows.max().item<int64_t>() + 1, cols.min().item<int64_t>(),
          cols.max().item<int64_t>() + 1};
}

TEST(EvalCrop, NyuEigenAt480x640) {
  const auto m = eval_crop_mask(480, 640, EvalCrop::EigenNyu);
  EXPECT_EQ(bounds(m), (std::array<int64_t, 4>{45, 471, 41, 601}));
  EXPECT_EQ(m.sum().item<int64_t>(), 426 * 560);
}

TEST(EvalCrop, NyuEigenScalesToHalfResolution) {
  EXPECT_EQ(bounds(eval_crop_mask(240, 320, EvalCrop::EigenNyu)), (std::array<int64_t, 4>{22, 235, 20, 300}));
}

TEST(EvalCrop, KittiGargAndEigenAt375x1242) {
  EXPECT_EQ(bounds(eval_crop_mask(375, 1242, EvalCrop::Garg)), (std::array<int64_t, 4>{153, 371, 44, 1197}));
  EXPECT_EQ(bounds(eval_crop_mask(375, 1242, EvalCrop::EigenKitti)),
            (std::array<int64_t, 4>{124, 342, 44, 1197}));
}

TEST(EvalCrop, NoneAndDegenerateSizes) {
  EXPECT_TRUE(eval_crop_mask(3, 4, EvalCrop::None).all().item<bool>());
  EXPECT_EQ(eval_crop_mask(0, 640, EvalCrop::EigenNyu).numel(), 0);
  EXPECT_FALSE(eval_crop_mask(1, 1, EvalCrop::Garg).any().item<bool>());
}

}  // namespace
}  // namespace depthguard
