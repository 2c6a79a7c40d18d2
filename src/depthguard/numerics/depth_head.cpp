#include "depthguard/numerics/depth_head.h"

#include <cmath>

#include "depthguard/core/errors.h"

namespace depthguard {

const ChoiceTable<HeadKind>& head_kind_choices() {
  static const ChoiceTable<HeadKind> table{{"naive", HeadKind::Naive},
                                           {"fused", HeadKind::Fused},
                                           {"exp", HeadKind::Exp},
                                           {"softplus", HeadKind::Softplus}};
  return table;
}

torch::Tensor log_depth_from_logits(const torch::Tensor& logits, const DepthHeadOptions& options) {
  switch (options.kind()) {
    case HeadKind::Naive:
      return torch::log(torch::sigmoid(logits) * options.max_depth());
    case HeadKind::Fused:
      return std::log(options.max_depth()) + torch::log_sigmoid(logits);
    case HeadKind::Exp:
      return logits;
    case HeadKind::Softplus:
      return torch::log(torch::softplus(logits) + options.min_depth());
  }
  throw std::logic_error("unhandled HeadKind");
}

DepthHeadImpl::DepthHeadImpl(DepthHeadOptions options_) : options(options_) { reset(); }

void DepthHeadImpl::reset() {
  if (!(options.max_depth() > 0.0)) {
    throw InvalidArgument("DepthHeadOptions: max_depth must be > 0, got " + std::to_string(options.max_depth()));
  }
  if (!(options.min_depth() > 0.0)) {
    throw InvalidArgument("DepthHeadOptions: min_depth must be > 0, got " + std::to_string(options.min_depth()));
  }
}

torch::Tensor DepthHeadImpl::forward(const torch::Tensor& logits) {
  return log_depth_from_logits(logits, options);
}

}  // namespace depthguard
