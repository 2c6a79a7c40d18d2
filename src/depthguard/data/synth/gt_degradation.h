#pragma once
// Makes perfect rendered depth look like sensor ground truth: Kinect-like holes, dropout
// beyond the sensor's range, and LiDAR-like sparsity. Sparse and holey ground truth is what
// leaves few valid pixels in a crop, the trigger of the paper's vulnerabilities.
#include <opencv2/core.hpp>

#include "depthguard/data/random.h"
#include "depthguard/data/synth/degradation_options.h"

namespace depthguard {

/// Applies the options to `depth` (CV_32FC1, metres) in place, drawing from `rng`.
void degrade_depth(cv::Mat& depth, Random& rng, const DegradationOptions& options);

}  // namespace depthguard
