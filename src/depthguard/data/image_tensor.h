#pragma once
// RGB images as network input.
#include <opencv2/core.hpp>
#include <torch/types.h>

namespace depthguard {

/// Writes the ImageNet-normalised planes of an 8-bit RGB image (CV_8UC3) into `out`, a
/// contiguous [3, H, W] float buffer (a batch tensor's slice: no temporary per sample).
void write_image_planes(const cv::Mat& rgb, float* out);

/// The normalised image as a [1, 3, H, W] float32 tensor.
torch::Tensor image_tensor(const cv::Mat& rgb);

/// A float32 [H, W] view (no copy) of a CV_32FC1 depth map, row padding included: valid
/// only while `depth` lives.
torch::Tensor depth_view(const cv::Mat& depth);

}  // namespace depthguard
