#include "depthguard/guard/event_json.h"

namespace depthguard {

nlohmann::json event_json(const NonFiniteEvent& e) {
  nlohmann::json j{{"stage", choice_name(guard_stage_choices(), e.stage)},
                   {"iteration", e.iteration},
                   {"samples", e.samples},
                   {"action", choice_name(guard_action_choices(), e.action)}};
  if (!e.reason.empty()) j["reason"] = e.reason;  // policy auto: why that action
  if (e.cause) j.update({{"cause", choice_name(nonfinite_cause_choices(), *e.cause)}, {"report", e.report_location}});
  if (e.cause_of_first) j["cause_of_first"] = choice_name(nonfinite_cause_choices(), *e.cause_of_first);
  if (!e.ranks.empty()) j["ranks"] = e.ranks;  // data-parallel: the ranks that saw the value
  if (e.transient) j.update({{"transient", true}, {"replayed_on", e.replayed_on}});
  return j;
}

nlohmann::json overflow_json(const ScaleOverflow& o) { return {{"scale", o.scale}, {"in_a_row", o.in_a_row}}; }

nlohmann::json spike_json(const Spike& s) {
  return {{"figure", s.figure}, {"value", s.value}, {"median", s.median}, {"ratio", s.ratio()}};
}

}  // namespace depthguard
