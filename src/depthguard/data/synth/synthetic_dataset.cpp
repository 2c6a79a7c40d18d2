#include "depthguard/data/synth/synthetic_dataset.h"

#include <string>

#include "depthguard/core/errors.h"

namespace depthguard {

SyntheticDataset::SyntheticDataset(int64_t count, SynthOptions options, int64_t first_index)
    : count_(count), first_index_(first_index), options_(std::move(options)) {
  if (count < 0 || first_index < 0) {
    throw InvalidArgument("SyntheticDataset: count and first_index must be >= 0, got count " + std::to_string(count) +
                          ", first_index " + std::to_string(first_index));
  }
}

RgbdSample SyntheticDataset::get(int64_t index) const {
  return render_synthetic(static_cast<uint64_t>(first_index_ + index), options_);
}

}  // namespace depthguard
