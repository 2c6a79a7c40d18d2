#pragma once
// The interface every dataset implements, and the checks every sample passes.
#include <cstdint>
#include <string>

#include "depthguard/data/rgbd_sample.h"

namespace depthguard {

class RgbdDataset {
 public:
  virtual ~RgbdDataset() = default;
  virtual int64_t size() const = 0;
  /// Sample `index` in [0, size()). Thread-safe. Throws DataError naming the file and the
  /// problem when a sample cannot be used.
  virtual RgbdSample get(int64_t index) const = 0;
};

/// Throws DataError naming `source` unless the sample is usable: rgb CV_8UC3 and depth
/// CV_32FC1 of the same size, depth finite and >= 0 everywhere.
void validate_sample(const RgbdSample& sample, const std::string& source);

}  // namespace depthguard
