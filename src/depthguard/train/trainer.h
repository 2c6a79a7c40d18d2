#pragma once
// The training loop: one run directory, resumable, logged, interruptible.
//
// Run directory layout (docs/training.md):
//   config.yaml            the resolved configuration (every key, defaults included)
//   metrics.jsonl          one JSON object per logged step and per evaluation
//   checkpoints/last.pt    the latest state (resume from here)
//   checkpoints/best.pt    the state with the lowest eval abs_rel so far
//   summary.json           the final figures, written when the run completes
//   forensics/step-N/      reproducer bundle and report of the first non-finite step
//   profile/               operators.txt and trace.json of `train --profile N`
//   samples/               sample-<i>.png and samples.json: held-out samples at the last evaluation
//   tb/                    TensorBoard event files (train.tensorboard)
#include <cstdint>
#include <optional>
#include <string>

#include "depthguard/config/train_config.h"
#include "depthguard/dist/dist_options.h"
#include "depthguard/metrics/depth_metrics.h"

namespace depthguard {

struct RunOptions {
  std::string out;      ///< the run directory
  bool resume = false;  ///< continue from out/checkpoints/last.pt
  std::string init;     ///< start from this checkpoint's weights (fine-tuning)
  bool progress = true; ///< draw the progress bar
  int64_t profile_steps = 0;  ///< profile this many steps into out/profile/ (0: off)
  /// This process's place in a data-parallel group (rank, world size, rendezvous;
  /// dist_options_from_environment): none for a single process. Rank 0 writes the run's
  /// files; every rank trains on its shard of each epoch and averages gradients.
  std::optional<DistOptions> dist;
};

struct TrainSummary {
  int64_t steps = 0;
  double seconds = 0;            ///< wall time of this session, evaluations included
  double images_per_second = 0;  ///< training images per second, evaluation time excluded
  double last_loss = 0;  ///< mean training loss over the last log interval
  std::optional<DepthMetrics> final_eval;
  double best_abs_rel = 0;
  int64_t best_step = -1;
  int64_t nonfinite_steps = 0;  ///< steps the sentinel skipped or rolled back, over the whole run
  int64_t transient_steps = 0;  ///< this session's loss or gradient events no replay reproduced
  int64_t spikes = 0;           ///< this session's spike warnings (guard.spike_ratio)
  bool already_finished = false;  ///< a resumed run that had no step left: nothing was trained or written
  int64_t device_reads = 0;  ///< the sentinel's device-to-host reads this session (Sentinel::device_reads)
  /// This session's batches without a valid ground-truth pixel (on any rank): not trained on,
  /// not counted as steps.
  int64_t batches_without_ground_truth = 0;
};

/// Trains `config` into `options.out`, holding the directory's lock (DirectoryLock) for the
/// whole run: a second process on the same directory is refused. A fresh run refuses a
/// directory that already holds checkpoints (resume or choose another). Resuming a finished
/// run does nothing (already_finished); with more train.steps it extends the run; with
/// fewer steps than the checkpoint's it throws InvalidArgument. SIGINT/SIGTERM save last.pt and throw
/// Interrupted. The NaN sentinel checks every step's inputs, loss, gradients, updated
/// weights and BatchNorm statistics and applies guard.policy (skip, rollback, halt); the
/// first non-finite step of a session is replayed (forensics) before the policy acts. A
/// halt throws NonFiniteHalt naming the step, stage, samples and cause, and the checkpoints
/// stay as they were.
TrainSummary train(const TrainConfig& config, const RunOptions& options);

/// Paths inside a run directory.
std::string last_checkpoint(const std::string& run);
std::string best_checkpoint(const std::string& run);

}  // namespace depthguard
