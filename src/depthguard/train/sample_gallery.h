#pragma once
// The held-out samples a run draws at each evaluation (from the predictions the evaluation
// makes anyway): image, ground truth, prediction and error side by side
// (report/sample_panel.h), for TensorBoard and the HTML report.
#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <torch/types.h>

#include "depthguard/data/rgbd_sample.h"

namespace depthguard {

struct DrawnSample {
  std::string id;   ///< the sample's name in its dataset
  cv::Mat picture;  ///< CV_8UC3, RGB: sample_panel's four tiles
};

/// The panel of one sample (RGB, ground truth) and the model's prediction for it (a CPU
/// float32 depth map of the sample's size, as predict_depth returns it). Samples wider
/// than 320 pixels are drawn shrunk to that width.
DrawnSample draw_sample(const RgbdSample& sample, const torch::Tensor& depth);

/// Writes the panels to `directory` as sample-<i>.png, with samples.json naming the step
/// and each sample's id and file; each file is replaced atomically, and the pictures of
/// an earlier evaluation beyond `samples.size()` are removed. Throws std::runtime_error
/// naming the file that cannot be written.
void write_samples(const std::string& directory, int64_t step, const std::vector<DrawnSample>& samples);

}  // namespace depthguard
