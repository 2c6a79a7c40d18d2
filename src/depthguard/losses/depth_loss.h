#pragma once
// The training loss chosen by config: one of the depth losses on the head's log-depth.
#include <torch/types.h>

#include "depthguard/config/choice.h"
#include "depthguard/losses/berhu_loss.h"
#include "depthguard/losses/loss_output.h"
#include "depthguard/losses/silog_loss.h"
#include "depthguard/losses/ssi_loss.h"

namespace depthguard {

enum class LossKind {
  Silog,  ///< on log-depth (default)
  L1,     ///< on depth = exp(log-depth)
  Berhu,  ///< on depth
  Ssi,    ///< on depth, aligned per image
};
const ChoiceTable<LossKind>& loss_kind_choices();

struct LossConfig {
  LossKind kind = LossKind::Silog;
  SilogLossOptions silog;
  BerhuLossOptions berhu;
  SsiLossOptions ssi;
  /// The valid mask: gt finite, > min_depth and (when max_depth > 0) <= max_depth.
  double min_depth = 0.0;
  double max_depth = 0.0;
};

/// The configured loss of log-depth predictions against metric gt, both [B, ...].
/// The edges are those of the chosen loss (see its header); the valid mask is built
/// from the config, so all-invalid gt gives loss 0 and empty_samples = B.
LossOutput depth_loss(const LossConfig& config, const torch::Tensor& log_pred,
                      const torch::Tensor& gt);

}  // namespace depthguard
