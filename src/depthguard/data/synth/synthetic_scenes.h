#pragma once
// The built-in dataset: procedurally rendered indoor RGB-D scenes, no download needed.
#include <cstdint>

#include "depthguard/data/rgbd_sample.h"
#include "depthguard/data/synth/synth_options.h"

namespace depthguard {

/// Scene `index` of the dataset named by options.seed(). Deterministic: the same
/// (seed, index, options) gives the same image and depth on any machine (the random stream
/// is mt19937_64 with hand-written conversions, the rendering plain double arithmetic).
/// The degradation draws from its own stream, so changing it leaves the scene unchanged.
/// Throws InvalidArgument naming the option for sizes < 1, min_objects > max_objects or an
/// invalid degradation.
RgbdSample render_synthetic(uint64_t index, const SynthOptions& options);

}  // namespace depthguard
