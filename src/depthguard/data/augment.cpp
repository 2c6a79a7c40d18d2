#include "depthguard/data/augment.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace depthguard {

namespace {

void random_scale(RgbdSample& s, Random& rng, const AugmentOptions& o) {
  if (o.scale_min() == 1.0 && o.scale_max() == 1.0) return;
  const double scale = rng.uniform(o.scale_min(), o.scale_max());
  const cv::Size size(std::max(1, int(std::lround(s.rgb.cols * scale))), std::max(1, int(std::lround(s.rgb.rows * scale))));
  cv::resize(s.rgb, s.rgb, size, 0, 0, cv::INTER_LINEAR);
  cv::resize(s.depth, s.depth, size, 0, 0, cv::INTER_NEAREST);
  s.depth /= scale;
  s.focal *= scale;
}

void random_rotation(RgbdSample& s, Random& rng, const AugmentOptions& o) {
  if (o.rotate_degrees() <= 0) return;
  const double angle = rng.uniform(-o.rotate_degrees(), o.rotate_degrees());
  const cv::Point2f centre(s.rgb.cols / 2.0f, s.rgb.rows / 2.0f);
  const cv::Mat m = cv::getRotationMatrix2D(centre, angle, 1.0);
  cv::warpAffine(s.rgb, s.rgb, m, s.rgb.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(0));
  cv::warpAffine(s.depth, s.depth, m, s.depth.size(), cv::INTER_NEAREST, cv::BORDER_CONSTANT, cv::Scalar(0));
}

void random_crop(RgbdSample& s, Random& rng, const AugmentOptions& o) {
  if (o.crop_height() <= 0 || o.crop_width() <= 0) return;
  const int h = std::min(o.crop_height(), s.rgb.rows), w = std::min(o.crop_width(), s.rgb.cols);
  const cv::Rect roi(static_cast<int>(rng.integer(0, s.rgb.cols - w)), static_cast<int>(rng.integer(0, s.rgb.rows - h)), w, h);
  s.rgb = s.rgb(roi).clone();
  s.depth = s.depth(roi).clone();
}

void random_flip(RgbdSample& s, Random& rng, const AugmentOptions& o) {
  if (!o.flip() || !rng.chance(0.5)) return;
  cv::flip(s.rgb, s.rgb, 1);
  cv::flip(s.depth, s.depth, 1);
}

double factor(Random& rng, double spread) { return spread > 0 ? rng.uniform(1 - spread, 1 + spread) : 1.0; }

void colour_jitter(RgbdSample& s, Random& rng, const AugmentOptions& o) {
  if (o.brightness() <= 0 && o.contrast() <= 0 && o.saturation() <= 0 && o.gamma() <= 0) return;
  const double b = factor(rng, o.brightness()), c = factor(rng, o.contrast());
  const double sat = factor(rng, o.saturation()), g = factor(rng, o.gamma());
  cv::Mat f;
  s.rgb.convertTo(f, CV_32FC3, 1.0 / 255.0);
  f *= b;
  const cv::Scalar mean = cv::mean(f);
  const double grey_mean = (mean[0] + mean[1] + mean[2]) / 3;
  f = (f - cv::Scalar::all(grey_mean)) * c + cv::Scalar::all(grey_mean);
  cv::Mat grey;
  cv::cvtColor(f, grey, cv::COLOR_RGB2GRAY);
  cv::cvtColor(grey, grey, cv::COLOR_GRAY2RGB);
  f = grey + (f - grey) * sat;
  cv::max(f, 0.0, f);
  cv::min(f, 1.0, f);
  cv::pow(f, g, f);
  f.convertTo(s.rgb, CV_8UC3, 255.0);
}

}  // namespace

RgbdSample augment(const RgbdSample& sample, Random& rng, const AugmentOptions& options) {
  RgbdSample s{sample.rgb.clone(), sample.depth.clone(), sample.id, sample.focal};
  random_scale(s, rng, options);
  random_rotation(s, rng, options);
  random_crop(s, rng, options);
  random_flip(s, rng, options);
  colour_jitter(s, rng, options);
  return s;
}

RgbdSample resize_for_network(const RgbdSample& sample, int height, int width, int multiple) {
  const auto round_down = [multiple](int v) { return std::max(multiple, v / multiple * multiple); };
  const cv::Size size(round_down(width > 0 ? width : sample.rgb.cols), round_down(height > 0 ? height : sample.rgb.rows));
  RgbdSample s = sample;
  if (size != sample.rgb.size()) cv::resize(sample.rgb, s.rgb, size, 0, 0, cv::INTER_LINEAR);
  return s;
}

}  // namespace depthguard
