#pragma once
// The options of training-time augmentation (what config reads); data/augment.h applies them.
#include <torch/arg.h>

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

}  // namespace depthguard
