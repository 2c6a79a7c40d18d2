#pragma once
// The sentinel's events, routine loss-scale overflows and spike warnings as the JSON objects of a run's
// metrics.jsonl lines (docs/training.md), written by the trainer and by the Python package.
#include <nlohmann/json.hpp>

#include "depthguard/guard/sentinel.h"

namespace depthguard {

/// {"stage", "iteration", "samples", "action"[, "cause", "report"][, "cause_of_first"][, "ranks"]
/// [, "transient", "replayed_on"]}.
nlohmann::json event_json(const NonFiniteEvent& e);
/// {"scale", "in_a_row"}.
nlohmann::json overflow_json(const ScaleOverflow& o);
/// {"figure", "value", "median", "ratio"}.
nlohmann::json spike_json(const Spike& s);

}  // namespace depthguard
