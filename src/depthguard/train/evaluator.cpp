#include "depthguard/train/evaluator.h"

#include <algorithm>
#include <vector>

#include <torch/torch.h>

#include "depthguard/data/augment.h"
#include "depthguard/data/image_tensor.h"
#include "depthguard/data/read_sample.h"

namespace depthguard {

torch::Tensor predict_depth(DepthModel& model, const cv::Mat& rgb, PredictSize size) {
  torch::NoGradGuard no_grad;
  RgbdSample sample;
  sample.rgb = rgb;
  sample.depth = cv::Mat::zeros(rgb.rows, rgb.cols, CV_32FC1);
  const auto input = resize_for_network(sample, size.height, size.width, 32);
  const auto device = model->parameters().front().device();
  const auto log_depth = model->forward(image_tensor(input.rgb).to(device));
  namespace F = torch::nn::functional;
  const auto depth = F::interpolate(torch::exp(log_depth), F::InterpolateFuncOptions()
                                                               .size(std::vector<int64_t>{rgb.rows, rgb.cols})
                                                               .mode(torch::kBilinear)
                                                               .align_corners(false));
  return depth[0][0].to(torch::kCPU).contiguous();
}

MetricsAverage evaluate_model(DepthModel& model, const RgbdDataset& data, PredictSize size,
                              const EvalOptions& options, BadSamplePolicy on_bad_sample,
                              const EvalProgress& progress, const PredictionSink& on_prediction) {
  const bool was_training = model->is_training();
  model->eval();
  MetricsAverage average;
  for (int64_t i = 0; i < data.size(); ++i) {
    if (const auto sample = read_sample(data, i, on_bad_sample)) {
      const auto depth = predict_depth(model, sample->rgb, size);
      average.add(evaluate_image(depth, depth_view(sample->depth), options));
      if (on_prediction) on_prediction(i, *sample, depth);
    } else {
      average.add_unreadable();
    }
    if (progress && !progress(i + 1, data.size())) break;
  }
  model->train(was_training);
  return average;
}

double median_depth(const RgbdDataset& data, int64_t max_samples, BadSamplePolicy on_bad_sample) {
  std::vector<float> valid;
  for (int64_t i = 0; i < std::min(max_samples, data.size()); ++i) {
    const auto sample = read_sample(data, i, on_bad_sample);
    if (!sample) continue;
    const auto& depth = sample->depth;
    for (int y = 0; y < depth.rows; ++y) {
      const float* row = depth.ptr<float>(y);
      std::copy_if(row, row + depth.cols, std::back_inserter(valid), [](float d) { return d > 0; });
    }
  }
  if (valid.empty()) {
    throw std::runtime_error("the training data (data) has no valid depth in its first " +
                             std::to_string(std::min(max_samples, data.size())) + " samples: no median baseline");
  }
  const auto middle = valid.begin() + static_cast<std::ptrdiff_t>(valid.size() / 2);
  std::nth_element(valid.begin(), middle, valid.end());
  return *middle;
}

MetricsAverage evaluate_constant(double depth, const RgbdDataset& data, const EvalOptions& options,
                                 BadSamplePolicy on_bad_sample) {
  MetricsAverage average;
  for (int64_t i = 0; i < data.size(); ++i) {
    const auto sample = read_sample(data, i, on_bad_sample);  // owns the pixels the tensor views
    if (!sample) {
      average.add_unreadable();
      continue;
    }
    const auto gt = depth_view(sample->depth);
    average.add(evaluate_image(torch::full_like(gt, depth), gt, options));
  }
  return average;
}

}  // namespace depthguard
