#pragma once
// The built-in dataset: procedurally rendered indoor RGB-D scenes, no download needed.
#include <cstdint>

#include <torch/arg.h>

#include "depthguard/data/rgbd_sample.h"
#include "depthguard/data/synth/gt_degradation.h"

namespace depthguard {

struct SynthOptions {
  TORCH_ARG(int, height) = 240;
  TORCH_ARG(int, width) = 320;
  TORCH_ARG(uint64_t, seed) = 0;
  TORCH_ARG(int, min_objects) = 3;
  TORCH_ARG(int, max_objects) = 8;
  TORCH_ARG(bool, shadows) = true;
  TORCH_ARG(DegradationOptions, degradation) = {};
};

/// Scene `index` of the dataset named by options.seed(). Deterministic: the same
/// (seed, index, options) gives the same image and depth on any machine (the random stream
/// is mt19937_64 with hand-written conversions, the rendering plain double arithmetic).
/// The degradation draws from its own stream, so changing it leaves the scene unchanged.
/// Throws ConfigError for sizes < 1 or an invalid degradation.
RgbdSample render_synthetic(uint64_t index, const SynthOptions& options);

}  // namespace depthguard
