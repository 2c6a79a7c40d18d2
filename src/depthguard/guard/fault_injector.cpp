#include "depthguard/guard/fault_injector.h"

#include <limits>

#include <torch/torch.h>

namespace depthguard {

bool FaultInjector::inject(InjectSite site, int64_t step, const torch::Tensor& target) {
  if (site == InjectSite::None || options_.inject_site() != site || fired_ || step != options_.inject_step() ||
      !target.defined() || target.numel() == 0) {
    return false;
  }
  torch::NoGradGuard no_grad;
  auto first = target;  // the first element, in any memory layout (channels-last included)
  while (first.dim() > 0) first = first.select(0, 0);
  first.fill_(options_.inject_value() == InjectValue::Nan ? std::numeric_limits<float>::quiet_NaN()
                                                          : std::numeric_limits<float>::infinity());
  fired_ = true;
  return true;
}

std::string FaultInjector::fired_at(int64_t step) const {
  if (!fired_ || step != options_.inject_step()) return "";
  return choice_name(inject_site_choices(), options_.inject_site()) + ":" +
         choice_name(inject_value_choices(), options_.inject_value());
}

}  // namespace depthguard
