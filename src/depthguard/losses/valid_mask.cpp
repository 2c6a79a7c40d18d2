#include "depthguard/losses/valid_mask.h"

#include <torch/torch.h>

namespace depthguard {

torch::Tensor valid_depth_mask(const torch::Tensor& gt, double min_depth, double max_depth) {
  // NaN compares false, so `gt > min_depth` already rejects it; isfinite rejects +inf.
  auto mask = torch::isfinite(gt) & (gt > min_depth);
  if (max_depth > 0) mask = mask & (gt <= max_depth);
  return mask;
}

}  // namespace depthguard
