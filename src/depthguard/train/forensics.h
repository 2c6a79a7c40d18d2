#pragma once
// The forensics of a non-finite step: replay a reproducer bundle with every operator
// watched, and say what produced the value and why.
#include <string>

#include <c10/core/Device.h>

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
/// The step is replayed in float32 on the CPU; when that stays finite and the run trained
/// in bf16 or fp16 (its config's train.precision), again under autocast in that precision on
/// `device`: an operator only the reduced precision makes non-finite gives the cause
/// precision (float16 needs a CUDA `device`; without one the report says the float32
/// replay ran alone).
/// LibTorch's default generator is left as it was. Deterministic ops give the same report
/// on every replay; a report always carries the bundle's history and injection.
ForensicsReport replay_bundle(const ReproBundle& bundle, c10::Device device = c10::kCPU);

/// Writes bundle.pt, report.json and report.txt into `dir` (created).
void write_forensics(const std::string& dir, const ReproBundle& bundle, const ForensicsReport& report);
/// Writes report.json and report.txt into `dir` (created): an investigation without a bundle
/// (the Python package's).
void write_report(const std::string& dir, const ForensicsReport& report);

}  // namespace depthguard
