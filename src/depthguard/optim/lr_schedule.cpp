#include "depthguard/optim/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace depthguard {

const ChoiceTable<ScheduleKind>& schedule_kind_choices() {
  static const ChoiceTable<ScheduleKind> table{{"constant", ScheduleKind::Constant},
                                               {"step", ScheduleKind::Step},
                                               {"poly", ScheduleKind::Poly},
                                               {"onecycle", ScheduleKind::OneCycle}};
  return table;
}

namespace {

constexpr double kPi = 3.14159265358979323846;

// Cosine from a (t = 0) to b (t = 1).
double cosine(double a, double b, double t) { return b + (a - b) * 0.5 * (1.0 + std::cos(kPi * t)); }

double one_cycle(const ScheduleOptions& o, double lr, double t) {
  const double start = lr / o.div_factor(), end = start / o.final_div_factor();
  if (o.pct_start() > 0 && t <= o.pct_start()) return cosine(start, lr, t / o.pct_start());
  return cosine(lr, end, o.pct_start() >= 1 ? 1.0 : (t - o.pct_start()) / (1.0 - o.pct_start()));
}

}  // namespace

double learning_rate(const ScheduleOptions& o, double lr, int64_t step, int64_t steps) {
  steps = std::max<int64_t>(steps, 1);
  step = std::clamp<int64_t>(step, 0, steps - 1);
  // Fraction of the run done, 0 at the first step and 1 at the last.
  const double t = steps == 1 ? 0.0 : static_cast<double>(step) / static_cast<double>(steps - 1);
  double value = lr;
  switch (o.kind()) {
    case ScheduleKind::Constant:
      break;
    case ScheduleKind::Step:
      value = lr * std::pow(o.gamma(), static_cast<double>(step / std::max<int64_t>(o.step_size(), 1)));
      break;
    case ScheduleKind::Poly:
      value = (lr - o.end_lr()) * std::pow(1.0 - t, o.power()) + o.end_lr();
      break;
    case ScheduleKind::OneCycle:
      value = one_cycle(o, lr, t);
      break;
  }
  if (step < o.warmup_steps()) {
    const double w = static_cast<double>(step) / static_cast<double>(o.warmup_steps());
    value *= o.warmup_factor() + (1.0 - o.warmup_factor()) * w;
  }
  return value;
}

}  // namespace depthguard
