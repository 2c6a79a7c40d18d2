#pragma once
// The reproducer a Python loop's sentinel writes (the Python package, docs/python.md):
// forensics/step-N/ with replay.pt, the step's loss as TorchScript (the batch inside it, the
// weights the step started from), conditions.pt, the intra-op thread count and generator
// states the step ran with, beside the report.json of the investigation in Python.
// `depthguard diagnose` replays it here, without Python.
#include <cstdint>
#include <string>

#include <c10/core/Device.h>

#include "depthguard/guard/forensics_report.h"
#include "depthguard/guard/step_conditions.h"

namespace depthguard {

/// Whether `path` is such a reproducer: a directory holding replay.pt, or replay.pt itself.
bool is_script_bundle(const std::string& path);

/// Writes conditions.pt into the reproducer's directory `dir`, atomically.
void write_script_conditions(const std::string& dir, const StepConditions& conditions);

/// Runs the replay's forward and backward on `device` with every operator watched, up to
/// `replays` times (at least once) until one's loss (or, for a gradient event, a gradient)
/// is non-finite, and returns the report: step, stage, samples, history and the run's device
/// from report.json, the operator, the replays and the cause from here (transient when every
/// replay on the run's device was finite). Each replay runs under the step's conditions
/// (conditions.pt: its generators, and its thread count unless `threads` > 0 overrides it);
/// a reproducer without them replays under the process's. The fix is told in PyTorch terms.
/// Throws std::runtime_error naming the file that is missing, damaged or not a TorchScript
/// replay.
ForensicsReport replay_script_bundle(const std::string& path, c10::Device device = c10::kCPU, int64_t replays = 1,
                                     int64_t threads = 0);

}  // namespace depthguard
