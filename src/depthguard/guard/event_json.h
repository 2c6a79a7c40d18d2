#pragma once
// The sentinel's events and routine loss-scale overflows as the JSON objects of a run's
// metrics.jsonl lines (docs/training.md), written by the trainer and by the Python package.
#include <nlohmann/json.hpp>

#include "depthguard/guard/sentinel.h"

namespace depthguard {

/// {"stage", "samples", "action"[, "cause", "report"][, "ranks"]}.
nlohmann::json event_json(const NonFiniteEvent& e);
/// {"scale", "in_a_row"}.
nlohmann::json overflow_json(const ScaleOverflow& o);

}  // namespace depthguard
