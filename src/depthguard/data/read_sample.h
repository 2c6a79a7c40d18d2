#pragma once
// One sample of a dataset under data.on_bad_sample: what the loader and the evaluation share.
#include <cstdint>
#include <optional>

#include "depthguard/data/loader_options.h"
#include "depthguard/data/rgbd_dataset.h"

namespace depthguard {

/// data.get(index); when it cannot be read (DataError: missing, corrupt, truncated), the
/// error is rethrown under BadSamplePolicy::Error, or logged (naming `index` and the file)
/// and none returned under Skip.
std::optional<RgbdSample> read_sample(const RgbdDataset& data, int64_t index, BadSamplePolicy on_bad_sample);

}  // namespace depthguard
