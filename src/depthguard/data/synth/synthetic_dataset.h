#pragma once
#include "depthguard/data/rgbd_dataset.h"
#include "depthguard/data/synth/synthetic_scenes.h"

namespace depthguard {

/// Synthetic scenes rendered in memory on demand: sample i is scene first_index + i of
/// the dataset named by options.seed(). Disjoint index ranges give disjoint splits (the
/// trainer holds out a range far from the training one).
class SyntheticDataset : public RgbdDataset {
 public:
  SyntheticDataset(int64_t count, SynthOptions options, int64_t first_index = 0);
  int64_t size() const override { return count_; }
  RgbdSample get(int64_t index) const override;

 private:
  int64_t count_, first_index_;
  SynthOptions options_;
};

}  // namespace depthguard
