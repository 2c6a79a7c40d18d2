#pragma once
// A reproducer of one non-finite training step: everything needed to run that step again,
// on this machine or another, without the dataset. Saved by the trainer in
// RUN/forensics/step-N/bundle.pt; `depthguard diagnose` replays it.
#include <string>
#include <vector>

#include <torch/types.h>

#include "depthguard/guard/nonfinite_cause.h"
#include "depthguard/guard/step_conditions.h"

namespace depthguard {

struct ReproBundle {
  /// checkpoint_bytes of the state the step started from (weights, BN buffers, optimiser
  /// state, generator, step counters); for a weight-stage event, the state after the
  /// update that made the weights non-finite.
  std::string state;
  std::string config_yaml;  ///< the run's resolved configuration
  torch::Tensor image;      ///< the batch as the step saw it, injected values included
  torch::Tensor depth;
  std::vector<std::string> samples;
  int64_t step = 0;
  int64_t iteration = -1;  ///< the loop's own number of the step; -1 in bundles from before it was kept
  std::string stage;     ///< input, loss, gradient, weight
  std::string injected;  ///< "site:value[:runs]" when guard.inject fired at this step (FaultInjector::fired_at)
  std::string device;    ///< where the run trained ("cpu", "cuda:0"); "" in bundles before it was kept
  double loss_scale = 0; ///< loss scaling: the scale when the bundle was made (0: none)
  std::vector<StepRecord> history;
  /// The thread count and generator states the step ran with; not recorded in bundles from
  /// before they were kept.
  StepConditions conditions;
};

/// Writes `bundle` to `path` atomically (temporary file, fsync, rename), sealed with a
/// checksum (sealed_archive.h).
void save_bundle(const std::string& path, const ReproBundle& bundle);

/// Reads a bundle from `path`: the bundle.pt file or the directory holding it. Throws
/// std::runtime_error naming the path when it is missing, truncated, damaged (its checksum
/// does not match) or not a bundle.
ReproBundle load_bundle(const std::string& path);

}  // namespace depthguard
