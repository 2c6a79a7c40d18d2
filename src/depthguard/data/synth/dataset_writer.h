#pragma once
// Writes the synthetic scenes to disk in the NYU Depth v2 (BTS/GLPDepth) layout, so that
// every loader and tool that reads NYU reads them too.
#include <cstdint>
#include <functional>
#include <string>

#include "depthguard/data/synth/synthetic_scenes.h"

namespace depthguard {

struct SynthDatasetOptions {
  TORCH_ARG(std::string, out);
  TORCH_ARG(int64_t, count) = 100;
  /// The last ceil(count * test_fraction) scenes form the test split.
  TORCH_ARG(double, test_fraction) = 0.1;
  /// "png" or "jpg" for the RGB images (depth is always 16-bit PNG).
  TORCH_ARG(std::string, format) = "png";
  TORCH_ARG(SynthOptions, scenes) = {};
};

struct SynthDatasetResult {
  int64_t written = 0;  ///< scenes rendered and written by this call
  int64_t kept = 0;     ///< scenes already on disk from an earlier, interrupted call
  bool complete = false;
};

/// Layout under `out`: rgb/NNNNNN.{png,jpg}, depth/NNNNNN.png (uint16 millimetres,
/// 0 = invalid), train.txt and test.txt with lines "rgb/NNNNNN.png depth/NNNNNN.png FOCAL",
/// and synth.json with the options. Every file is written atomically; a rerun with the same
/// options skips the scenes already there (resume), a rerun with other options into the
/// same directory throws InvalidArgument, as do bad options. `step` is called after each scene with the number
/// done so far and returns false to stop early (the split files are then not written).
SynthDatasetResult write_synthetic_dataset(const SynthDatasetOptions& options,
                                           const std::function<bool(int64_t done)>& step);

}  // namespace depthguard
