#pragma once
// Fault injection: puts one NaN or +inf where GuardOptions say, once, so a run can show
// that the sentinel catches, names and handles it.
#include <cstdint>
#include <string>

#include <torch/types.h>

#include "depthguard/guard/guard_options.h"

namespace depthguard {

class FaultInjector {
 public:
  explicit FaultInjector(const GuardOptions& options) : options_(options) {}

  /// At the configured site and step (inject_site, inject_step), and only the first time:
  /// element 0 of `target` becomes inject_value (NaN or +inf), in place and outside
  /// autograd. Returns whether it fired. Edges: site none never fires; an undefined or
  /// empty target is left alone (and the injection stays pending).
  bool inject(InjectSite site, int64_t step, const torch::Tensor& target);

  /// "site:value" (e.g. "gradient:nan") when the injection fired at `step`, else "".
  std::string fired_at(int64_t step) const;

 private:
  GuardOptions options_;
  bool fired_ = false;
};

}  // namespace depthguard
