#include "depthguard/data/image_tensor.h"

#include <torch/torch.h>

namespace depthguard {

void write_image_planes(const cv::Mat& rgb, float* out) {
  static const float mean[3] = {0.485f, 0.456f, 0.406f};
  static const float stdev[3] = {0.229f, 0.224f, 0.225f};
  const int64_t plane = int64_t{rgb.rows} * rgb.cols;
  for (int y = 0; y < rgb.rows; ++y) {
    const auto* row = rgb.ptr<cv::Vec3b>(y);
    for (int x = 0; x < rgb.cols; ++x) {
      const int64_t i = int64_t{y} * rgb.cols + x;
      for (int c = 0; c < 3; ++c) out[c * plane + i] = (row[x][c] / 255.0f - mean[c]) / stdev[c];
    }
  }
}

torch::Tensor image_tensor(const cv::Mat& rgb) {
  auto t = torch::empty({1, 3, rgb.rows, rgb.cols});
  write_image_planes(rgb, t.data_ptr<float>());
  return t;
}

torch::Tensor depth_view(const cv::Mat& depth) {
  return torch::from_blob(const_cast<float*>(depth.ptr<float>()), {depth.rows, depth.cols},
                          {static_cast<int64_t>(depth.step1()), 1}, torch::kFloat32);
}

}  // namespace depthguard
