#pragma once
// Fault injection: puts one NaN or +inf where GuardOptions say, so a run can show that the
// sentinel catches, names and handles it: a reproducible fault (every run of the step gets
// it) or a transient one (only the first run, or the first N).
#include <cstdint>
#include <string>

#include <torch/types.h>

#include "depthguard/guard/guard_options.h"

namespace depthguard {

class FaultInjector {
 public:
  explicit FaultInjector(const GuardOptions& options) : options_(options) {}

  /// Before each run of a step: `retry` when the sentinel asked for the same step to run
  /// again (Sentinel::retrying()). A new attempt after the one the injection hit ends it.
  void begin_run(bool retry);

  /// At the configured site and step (inject_site, inject_step), on the first attempt that
  /// reaches that step and on up to inject_runs runs of it (0: all of them), once a run: element 0 of
  /// `target` becomes inject_value (NaN or +inf), in place and outside autograd. Returns
  /// whether it fired. Edges: site none never fires; an undefined or empty target is left
  /// alone (and the injection stays pending).
  bool inject(InjectSite site, int64_t step, const torch::Tensor& target);

  /// "site:value" (e.g. "gradient:nan") when the injection fired at `step`, with ":once" or
  /// ":N" after it for inject_runs 1 or N; else "".
  std::string fired_at(int64_t step) const;
  /// Whether the fault of `step` would come back on every run of it (inject_runs 0): a
  /// replay then counts it as reproduced without running.
  bool reproducible_at(int64_t step) const { return options_.inject_runs() == 0 && !fired_at(step).empty(); }

 private:
  GuardOptions options_;
  int64_t fired_runs_ = 0;       ///< runs of the attempt that got the value
  bool fired_this_run_ = false;  ///< one value per run
  bool done_ = false;            ///< that attempt is over
};

}  // namespace depthguard
