#include "depthguard/data/read_sample.h"

#include <spdlog/spdlog.h>

#include "depthguard/data/data_error.h"

namespace depthguard {

std::optional<RgbdSample> read_sample(const RgbdDataset& data, int64_t index, BadSamplePolicy on_bad_sample) {
  try {
    return data.get(index);
  } catch (const DataError& e) {
    if (on_bad_sample == BadSamplePolicy::Error) throw;
    spdlog::warn("skipping bad sample {}: {}", index, e.what());
    return std::nullopt;
  }
}

}  // namespace depthguard
