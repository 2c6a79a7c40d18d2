// depthguard.nn's operators: the guard tier's guideline forms (guard/guideline_ops.h)
// registered with torch as torch.ops.depthguard.*, CompositeImplicitAutograd: autograd,
// autocast, torch.compile and every device see the ATen operators they are made of.
#include <torch/library.h>

#include "depthguard/guard/guideline_ops.h"

TORCH_LIBRARY(depthguard, m) {
  m.def("log_depth_from_logits(Tensor x, float max_depth) -> Tensor");
  m.def("masked_variance(Tensor x, Tensor mask) -> Tensor");
  m.def("silog_valid_mask(Tensor target, Tensor? mask=None) -> Tensor");
  m.def("silog_loss(Tensor log_pred, Tensor target, Tensor? mask=None, float lambd=0.85) -> Tensor");
}

TORCH_LIBRARY_IMPL(depthguard, CompositeImplicitAutograd, m) {
  m.impl("log_depth_from_logits", &depthguard::log_depth_from_logits);
  m.impl("masked_variance", &depthguard::masked_variance);
  m.impl("silog_valid_mask", &depthguard::silog_valid_mask);
  m.impl("silog_loss", &depthguard::silog_loss);
}
