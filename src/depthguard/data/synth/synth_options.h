#pragma once
// The options of the built-in synthetic scenes (what config reads); rendered by
// data/synth/synthetic_scenes.h.
#include <cstdint>

#include <torch/arg.h>

#include "depthguard/data/synth/degradation_options.h"

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

}  // namespace depthguard
