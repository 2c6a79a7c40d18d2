#pragma once
// Training-time augmentation of an RGB-D pair. Geometric steps move image and depth
// together; depth is only ever resampled by nearest neighbour (never interpolated across
// an invalid pixel), and pixels that come from outside the image are invalid (depth 0).
#include <torch/arg.h>

#include "depthguard/data/random.h"
#include "depthguard/data/rgbd_sample.h"

namespace depthguard {

struct AugmentOptions {
  /// Random scale s in [scale_min, scale_max]: the image is resized by s and depth divided
  /// by s (Eigen et al. 2014: a closer camera sees a bigger, nearer scene). 1, 1 = off.
  TORCH_ARG(double, scale_min) = 1.0;
  TORCH_ARG(double, scale_max) = 1.0;
  /// Random rotation in [-rotate_degrees, rotate_degrees] (BTS: 2.5 on NYU). 0 = off.
  TORCH_ARG(double, rotate_degrees) = 0.0;
  /// Random crop; 0 = no crop. Crops larger than the image take the whole image side.
  TORCH_ARG(int, crop_height) = 0;
  TORCH_ARG(int, crop_width) = 0;
  /// Horizontal flip with probability 0.5.
  TORCH_ARG(bool, flip) = true;
  /// Colour jitter factors drawn from [1 - x, 1 + x]; 0 = off. Gamma from [1 - g, 1 + g].
  TORCH_ARG(double, brightness) = 0.0;
  TORCH_ARG(double, contrast) = 0.0;
  TORCH_ARG(double, saturation) = 0.0;
  TORCH_ARG(double, gamma) = 0.0;
};

/// The augmented pair, in the order scale, rotate, crop, flip, colour. `rng` decides every
/// random choice, so a per-sample stream makes augmentation reproducible. The focal
/// length follows the scale.
RgbdSample augment(const RgbdSample& sample, Random& rng, const AugmentOptions& options);

/// The RGB image resized for the network (bilinear) to height x width, each rounded down
/// to a multiple of `multiple` (at least `multiple`); 0 keeps that side's size before
/// rounding. Ground truth is left at full resolution: evaluation resizes the prediction.
RgbdSample resize_for_network(const RgbdSample& sample, int height, int width, int multiple);

}  // namespace depthguard
