#pragma once
// Test-time prediction and the Eigen evaluation of a model on a dataset.
#include <cstdint>
#include <functional>

#include <opencv2/core.hpp>
#include <torch/types.h>

#include "depthguard/data/loader_options.h"
#include "depthguard/data/rgbd_dataset.h"
#include "depthguard/data/rgbd_sample.h"
#include "depthguard/metrics/depth_metrics.h"
#include "depthguard/models/depth_model.h"

namespace depthguard {

/// Network input size at test time; 0 = the image's own side. Both are rounded down to a
/// multiple of 32 (at least 32).
struct PredictSize {
  int height = 0, width = 0;
};

/// Depth in metres [H, W] (float32, CPU) of an RGB image (CV_8UC3) of H x W: the image is
/// resized (bilinear) to the network size, the prediction resized back (bilinear). Runs
/// the model as it is (call model->eval() first), on its device, without gradients; the
/// depth comes back on the CPU.
torch::Tensor predict_depth(DepthModel& model, const cv::Mat& rgb, PredictSize size);

/// Called after each image with (done, total); returning false stops early.
using EvalProgress = std::function<bool(int64_t done, int64_t total)>;

/// Called with each sample the evaluation read (its index in the dataset) and the
/// prediction it made for it (predict_depth's map), e.g. to draw the first few.
using PredictionSink = std::function<void(int64_t index, const RgbdSample& sample, const torch::Tensor& depth)>;

/// The mean Eigen metrics of the model over every sample of `data` (in eval mode; the
/// model's train/eval mode is restored). Images without a valid pixel are counted as skipped.
/// A sample that cannot be read (DataError: missing, corrupt) stops the evaluation, or under
/// BadSamplePolicy::Skip is logged and counted as unreadable, as training skips it.
MetricsAverage evaluate_model(DepthModel& model, const RgbdDataset& data, PredictSize size,
                              const EvalOptions& options, BadSamplePolicy on_bad_sample = BadSamplePolicy::Error,
                              const EvalProgress& progress = {}, const PredictionSink& on_prediction = {});

/// The median of the valid ground-truth depths of the first `max_samples` samples (the
/// "predict the training median" baseline). Throws std::runtime_error when there is no
/// valid pixel (a constant 0 m baseline would be garbage, not a baseline).
double median_depth(const RgbdDataset& data, int64_t max_samples,
                    BadSamplePolicy on_bad_sample = BadSamplePolicy::Error);

/// The metrics of predicting `depth` everywhere (unreadable samples as in evaluate_model).
MetricsAverage evaluate_constant(double depth, const RgbdDataset& data, const EvalOptions& options,
                                 BadSamplePolicy on_bad_sample = BadSamplePolicy::Error);

}  // namespace depthguard
