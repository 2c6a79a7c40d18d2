#include "depthguard/guard/fault_injector.h"

#include <limits>

#include <torch/torch.h>

namespace depthguard {

void FaultInjector::begin_run(bool retry) {
  if (!retry && fired_runs_ > 0) done_ = true;
  fired_this_run_ = false;
}

bool FaultInjector::inject(InjectSite site, int64_t step, const torch::Tensor& target) {
  const int64_t runs = options_.inject_runs();
  if (site == InjectSite::None || options_.inject_site() != site || done_ || fired_this_run_ || step != options_.inject_step() ||
      (runs > 0 && fired_runs_ >= runs) || !target.defined() || target.numel() == 0) {
    return false;
  }
  torch::NoGradGuard no_grad;
  auto first = target;  // the first element, in any memory layout (channels-last included)
  while (first.dim() > 0) first = first.select(0, 0);
  first.fill_(options_.inject_value() == InjectValue::Nan ? std::numeric_limits<float>::quiet_NaN()
                                                          : std::numeric_limits<float>::infinity());
  ++fired_runs_;
  fired_this_run_ = true;
  return true;
}

std::string FaultInjector::fired_at(int64_t step) const {
  if (fired_runs_ == 0 || step != options_.inject_step()) return "";
  const int64_t runs = options_.inject_runs();
  return choice_name(inject_site_choices(), options_.inject_site()) + ":" +
         choice_name(inject_value_choices(), options_.inject_value()) +
         (runs == 0 ? "" : runs == 1 ? ":once" : ":" + std::to_string(runs));
}

}  // namespace depthguard
