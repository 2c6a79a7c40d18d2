#include "depthguard/losses/depth_loss.h"

#include <torch/torch.h>

#include "depthguard/guard/op_scope.h"
#include "depthguard/losses/berhu_loss.h"
#include "depthguard/losses/l1_loss.h"
#include "depthguard/losses/silog_loss.h"
#include "depthguard/losses/ssi_loss.h"
#include "depthguard/losses/valid_mask.h"

namespace depthguard {

const ChoiceTable<LossKind>& loss_kind_choices() {
  static const ChoiceTable<LossKind> table{{"silog", LossKind::Silog},
                                           {"l1", LossKind::L1},
                                           {"berhu", LossKind::Berhu},
                                           {"ssi", LossKind::Ssi}};
  return table;
}

LossOutput depth_loss(const LossConfig& config, const torch::Tensor& log_pred,
                      const torch::Tensor& gt) {
  OpScope scope("loss");
  const auto mask = valid_depth_mask(gt, config.min_depth, config.max_depth);
  switch (config.kind) {
    case LossKind::Silog:
      return silog_loss(log_pred, gt, mask, config.silog);
    case LossKind::L1:
      return masked_l1_loss(torch::exp(log_pred), gt, mask);
    case LossKind::Berhu:
      return berhu_loss(torch::exp(log_pred), gt, mask, config.berhu);
    case LossKind::Ssi:
      return ssi_loss(torch::exp(log_pred), gt, mask, config.ssi);
  }
  throw std::logic_error("unhandled LossKind");
}

}  // namespace depthguard
