#pragma once
// TensorBoard shows what metrics.jsonl holds: each line the trainer logs is mirrored as
// scalars (a training interval under train/, an evaluation under eval/) or, for a
// non-finite event, as a text naming its step, stage, cause, action and report.
#include <nlohmann/json_fwd.hpp>

#include "depthguard/runlog/tensorboard_writer.h"

namespace depthguard {

/// Writes one metrics.jsonl line (an object with "step") to `tensorboard`: an evaluation
/// line ("eval": metrics, or null when nothing had ground truth) as eval/<metric>; a
/// non-finite line ("nonfinite": event) as a Markdown text under "nonfinite" and the scalar
/// guard/nonfinite (1 at that step); a routine loss-scale overflow ("loss_scale_overflow")
/// as guard/loss_scale_overflow (the scale it backed off to); any other line as train/<key> for each number in it
/// except step and epoch.
void mirror_to_tensorboard(TensorBoardWriter& tensorboard, const nlohmann::json& line);

}  // namespace depthguard
