#pragma once
// The held-out samples a run draws at each evaluation: image, ground truth, prediction and
// error side by side (report/sample_panel.h), for TensorBoard and the HTML report.
#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "depthguard/data/loader_options.h"
#include "depthguard/data/rgbd_dataset.h"
#include "depthguard/models/depth_model.h"
#include "depthguard/train/evaluator.h"

namespace depthguard {

struct DrawnSample {
  std::string id;   ///< the sample's name in its dataset
  cv::Mat picture;  ///< CV_8UC3, RGB: sample_panel's four tiles
};

/// The panels of the first `count` samples of `data` (fewer when it has fewer; unreadable
/// ones skipped under BadSamplePolicy::Skip, as evaluation skips them), predicted at
/// `size` in eval mode (the model's mode is restored). Samples wider than 320 pixels are
/// drawn shrunk to that width.
std::vector<DrawnSample> draw_samples(DepthModel& model, const RgbdDataset& data, PredictSize size, int64_t count,
                                      BadSamplePolicy on_bad_sample);

/// Writes the panels to `directory` as sample-<i>.png, with samples.json naming the step
/// and each sample's id and file; each file is replaced atomically, and the pictures of
/// an earlier evaluation beyond `samples.size()` are removed. Throws std::runtime_error
/// naming the file that cannot be written.
void write_samples(const std::string& directory, int64_t step, const std::vector<DrawnSample>& samples);

}  // namespace depthguard
