#pragma once
// The forensics of a non-finite step: replay a reproducer bundle with every operator
// watched, and say what produced the value and why.
#include <optional>
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
/// Loss and gradient stages are replayed in an order that tells the model from the machine:
/// on `device` (the run's own) in the run's precision (train.precision) `replays` times (0:
/// the run's guard.replays), where finite every time is the cause transient; reproduced
/// there, again in float32 on the CPU, where non-finite is the numerical cause (V1, V2, ...);
/// finite there, on the CPU in the run's precision, where non-finite is the cause precision
/// and finite a kernel of the device (device_kernel). Where this LibTorch's autocast does not
/// run the run's precision (float16 on 1.13's CPU), a finding says so. Every replay is in
/// the report (replays). Each replay runs under the step's conditions: from the generator
/// states it began with, on its intra-op thread count unless `threads` > 0 overrides it;
/// LibTorch's default generators and the thread count are left as they were.
/// Deterministic ops give the same report on every replay; a report always carries the
/// bundle's history and injection.
ForensicsReport replay_bundle(const ReproBundle& bundle, c10::Device device = c10::kCPU, int64_t replays = 0,
                              int64_t threads = 0);

/// Whether the bundle's loss or gradient step is non-finite again when replayed on `device`
/// in the run's precision (guard.replays times, stopping at the first): the trainer's rerun
/// of a later event. nullopt for other stages, or where autocast does not run the precision.
std::optional<bool> replay_reproduces(const ReproBundle& bundle, c10::Device device);

/// Writes bundle.pt, report.json and report.txt into `dir` (created).
void write_forensics(const std::string& dir, const ReproBundle& bundle, const ForensicsReport& report);

}  // namespace depthguard
