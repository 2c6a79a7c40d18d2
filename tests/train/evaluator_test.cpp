#include "depthguard/train/evaluator.h"

#include <vector>

#include "depthguard/data/rgbd_sample.h"
#include "depthguard/metrics/depth_metrics.h"
#include "depthguard/models/depth_model.h"
#include "test_support.h"

namespace depthguard {
namespace {

// An in-memory dataset of constant-depth images.
class ConstantDepths : public RgbdDataset {
 public:
  explicit ConstantDepths(std::vector<float> depths) : depths_(std::move(depths)) {}
  int64_t size() const override { return static_cast<int64_t>(depths_.size()); }
  RgbdSample get(int64_t i) const override {
    RgbdSample s;
    s.rgb = cv::Mat(8, 8, CV_8UC3, cv::Scalar(100, 120, 140));
    s.depth = cv::Mat(8, 8, CV_32FC1, cv::Scalar(depths_[static_cast<size_t>(i)]));
    s.id = "const/" + std::to_string(i);
    return s;
  }

 private:
  std::vector<float> depths_;
};

TEST(MedianDepth, MedianOfTheValidPixelsOfTheFirstSamples) {
  EXPECT_EQ(median_depth(ConstantDepths({1, 3, 2}), 10), 2.0);
  EXPECT_EQ(median_depth(ConstantDepths({1, 3, 2}), 1), 1.0);
  EXPECT_EQ(median_depth(ConstantDepths({0, 5}), 10), 5.0);  // invalid pixels do not count
}

TEST(MedianDepth, EdgesNoSampleAndNoValidPixelAreErrorsNotZero) {
  EXPECT_THROW(median_depth(ConstantDepths({}), 10), std::runtime_error);
  EXPECT_THROW(median_depth(ConstantDepths({1}), 0), std::runtime_error);
  EXPECT_THROW(median_depth(ConstantDepths({0, 0}), 10), std::runtime_error);
}

TEST(EvaluateConstant, ThePerfectConstantScoresPerfectlyAndInvalidImagesAreSkipped) {
  const auto average = evaluate_constant(2.0, ConstantDepths({2, 2, 0}), EvalOptions());
  EXPECT_EQ(average.images(), 2);
  EXPECT_EQ(average.skipped(), 1);
  EXPECT_DOUBLE_EQ(average.mean()->abs_rel, 0.0);
  EXPECT_DOUBLE_EQ(average.mean()->d1, 1.0);
}

TEST(PredictDepth, AnyInputSizeGivesAPositiveMapOfThatSize) {
  torch::manual_seed(0);
  DepthModel model(ModelOptions().width(4));
  model->eval();
  const cv::Mat rgb(37, 53, CV_8UC3, cv::Scalar(10, 200, 30));
  for (const PredictSize size : {PredictSize{0, 0}, PredictSize{64, 96}, PredictSize{5, 5}}) {
    const auto depth = predict_depth(model, rgb, size);
    EXPECT_EQ(depth.sizes(), torch::IntArrayRef({37, 53}));
    EXPECT_TRUE(testing::all_finite(depth));
    EXPECT_GT(depth.min().item<float>(), 0.0f);
    EXPECT_FALSE(depth.requires_grad());
  }
}

TEST(EvaluateModel, RestoresTrainingModeAndCountsEveryImage) {
  DepthModel model(ModelOptions().width(4));
  model->train();
  std::vector<int64_t> seen;
  const ConstantDepths data({1, 2, 3});
  const auto average = evaluate_model(model, data, {}, EvalOptions(), BadSamplePolicy::Error, {},
                                      [&](int64_t index, const RgbdSample& sample, const torch::Tensor& depth) {
                                        seen.push_back(index);
                                        EXPECT_EQ(depth.size(0), sample.depth.rows);
                                        EXPECT_EQ(depth.size(1), sample.depth.cols);
                                      });
  EXPECT_TRUE(model->is_training());
  EXPECT_EQ(average.images(), 3);
  EXPECT_EQ(seen, (std::vector<int64_t>{0, 1, 2}));  // each prediction handed on once, in order
}

}  // namespace
}  // namespace depthguard
