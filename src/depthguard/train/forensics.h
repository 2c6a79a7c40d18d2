#pragma once
// The forensics of a non-finite step: replay a reproducer bundle with every operator
// watched, and say what produced the value and why.
#include <string>

#include "depthguard/guard/forensics_report.h"
#include "depthguard/train/repro_bundle.h"

namespace depthguard {

/// Replays the bundle's step on a fresh model built from its configuration (the training
/// model is not touched) and returns the classified report.
/// - input stage: names each sample and tensor (image, depth) holding NaN or inf;
/// - loss and gradient stages: runs forward, loss and backward again under
///   first_nonfinite_op, with the model's and the loss's OpScope paths;
/// - weight stage: names the non-finite parameters and buffers (BatchNorm statistics; the
///   update itself is not replayed: the bundle holds the state after it).
/// LibTorch's default generator is left as it was. Deterministic ops give the same report
/// on every replay; a report always carries the bundle's history and injection.
ForensicsReport replay_bundle(const ReproBundle& bundle);

/// Writes bundle.pt, report.json and report.txt into `dir` (created).
void write_forensics(const std::string& dir, const ReproBundle& bundle, const ForensicsReport& report);

}  // namespace depthguard
