#pragma once
// Training-time augmentation of an RGB-D pair. Geometric steps move image and depth
// together; depth is only ever resampled by nearest neighbour (never interpolated across
// an invalid pixel), and pixels that come from outside the image are invalid (depth 0).
#include "depthguard/data/augment_options.h"
#include "depthguard/data/random.h"
#include "depthguard/data/rgbd_sample.h"

namespace depthguard {

/// The augmented pair, in the order scale, rotate, crop, flip, colour. `rng` decides every
/// random choice, so a per-sample stream makes augmentation reproducible. The focal
/// length follows the scale.
RgbdSample augment(const RgbdSample& sample, Random& rng, const AugmentOptions& options);

/// The RGB image resized for the network (bilinear) to height x width, each rounded down
/// to a multiple of `multiple` (at least `multiple`); 0 keeps that side's size before
/// rounding. Ground truth is left at full resolution: evaluation resizes the prediction.
RgbdSample resize_for_network(const RgbdSample& sample, int height, int width, int multiple);

}  // namespace depthguard
