#pragma once
// The NaN sentinel: watches one training loop's steps and, when a value stops being
// finite, names it, decides (skip, rollback, halt), acts, and records the event.
//
// Any LibTorch loop can use it; a loop under it reads (examples/custom_loop.cpp; the
// trainer is the same loop with its own forensics, a reproducer bundle):
//
//   Sentinel sentinel(*model, optimizer, GuardOptions().policy(GuardPolicy::Skip));
//   sentinel.start(step);
//   for (const auto& batch : batches) {
//     const torch::Tensor& x = batch.first;
//     const torch::Tensor& y = batch.second;
//     sentinel.begin_step(ids, [&] { return loss_fn(model->forward(x), y); });
//     if (!sentinel.check_inputs({x, y})) continue;
//     optimizer.zero_grad();
//     auto loss = loss_fn(model->forward(x), y);
//     if (!sentinel.check_loss(loss.item<double>())) continue;
//     loss.backward();
//     if (!sentinel.check_gradients(/*max_norm=*/1.0)) continue;
//     optimizer.step();
//     if (!sentinel.check_weights()) continue;
//     sentinel.end_step(lr);
//   }
//
// A check that fails has already handled the event: the update is dropped or undone (or
// NonFiniteHalt is thrown), and the loop goes on with the next batch. step() says where
// the loop stands after a rollback.
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include "depthguard/guard/forensics_report.h"
#include "depthguard/guard/guard_action.h"
#include "depthguard/guard/guard_options.h"
#include "depthguard/guard/state_snapshot.h"

namespace depthguard {

/// One non-finite step, as the sentinel handled it.
struct NonFiniteEvent {
  int64_t step = 0;
  GuardStage stage = GuardStage::Input;
  GuardAction action = GuardAction::Skip;
  int64_t consecutive = 1;           ///< non-finite steps in a row, this one included
  std::vector<std::string> samples;  ///< ids given to begin_step
  std::vector<int64_t> ranks;        ///< data-parallel ranks that saw it (agree_with); empty without
  std::optional<NonFiniteCause> cause;  ///< from the forensics of this event (the first of a session)
  std::string report_location;          ///< where the investigation wrote its report, "" if nowhere
};

/// A routine overflow of loss-scaled gradients (check_loss_scale): not a non-finite event.
struct ScaleOverflow {
  int64_t step = 0;
  double scale = 0;        ///< the scale after backing off
  int64_t in_a_row = 1;    ///< overflows in a row, this one included
};

/// The forensics of a non-finite step: a report and where it was written.
struct Investigation {
  ForensicsReport report;
  std::string location;  ///< a directory or file; "" when the report lives only in memory
};

/// What an investigation knows: the step, the stage and the good steps before it.
struct StepEvidence {
  int64_t step = 0;
  GuardStage stage = GuardStage::Input;
  const std::vector<std::string>& samples;
  const std::deque<StepRecord>& history;
};

class Sentinel {
 public:
  using LossFn = std::function<torch::Tensor()>;
  using Investigator = std::function<Investigation(const StepEvidence&)>;
  using EventSink = std::function<void(const NonFiniteEvent&)>;
  /// Told whether this rank's check found a non-finite value; returns the ranks of the
  /// group that found one (an all-reduce), empty when none did.
  using Consensus = std::function<std::vector<int64_t>(bool found_here)>;

  /// Watches `model` and `optimizer` (both must outlive the sentinel). Checks options with
  /// TORCH_CHECK: max_skips >= 0, snapshot_interval >= 1, lr_factor in [0, 1].
  Sentinel(torch::nn::Module& model, torch::optim::Optimizer& optimizer, GuardOptions options = {});

  /// Replaces the default forensics (the step's loss function replayed in place under
  /// first_nonfinite_op) with the owner's, e.g. the trainer's reproducer bundle.
  Sentinel& investigate_with(Investigator investigator);
  /// Called after every event, before a halt is thrown (the trainer writes metrics.jsonl).
  Sentinel& on_event(EventSink sink);
  /// Data-parallel training: the checks whose values differ between ranks (inputs, loss,
  /// weights with their BatchNorm buffers) ask `consensus`, so every rank takes the same
  /// action at the same step and none waits for a rank that skipped. The gradient check
  /// asks nothing: averaged gradients are the same on every rank, a rank's NaN included.
  /// Only a rank that saw the value investigates it; events name the ranks.
  Sentinel& agree_with(Consensus consensus);
  /// Called after each routine loss-scale overflow (the trainer logs it).
  Sentinel& on_scale_overflow(std::function<void(const ScaleOverflow&)> sink);

  /// Begins watching at `step` (0, or a resumed run's step) with the counters a resumed
  /// run carries; takes the first snapshot.
  void start(int64_t step, int64_t nonfinite_steps = 0, double lr_scale = 1);

  /// Before each step: the ids of its samples (for the event and the report) and a function
  /// that recomputes its loss from the batch, replayed by the default forensics (may be
  /// empty: then the loss and gradient stages are reported without an operator).
  void begin_step(std::vector<std::string> samples = {}, LossFn loss_fn = {});

  /// Each check returns true when every value is finite, else handles the event and
  /// returns false (or throws NonFiniteHalt).
  bool check_inputs(const std::vector<torch::Tensor>& inputs);
  bool check_loss(double loss);
  /// The global L2 norm of the gradients (grad_norm()), which is then clipped to
  /// `max_norm` when max_norm > 0.
  bool check_gradients(double max_norm = 0);
  /// Loss scaling (optim/loss_scaler.h), after unscaling and before check_gradients:
  /// `overflowed` says whether the scaled gradients held inf or NaN, `scale` is the scale
  /// after the scaler backed off. No overflow: true. A routine overflow (scale >=
  /// min_loss_scale, at most max_scale_backoffs in a row): counted, told to the overflow
  /// sink, gradients cleared, false (drop the update; the step does not advance). Anything
  /// else is handled as a non-finite gradient (false, or NonFiniteHalt).
  bool check_loss_scale(bool overflowed, double scale);
  /// Parameters after the update (weight_norm()) and every floating buffer.
  bool check_weights();
  /// After a step whose checks all passed: records it, advances step(), snapshots every
  /// snapshot_interval steps. `lr` is kept in the history for the forensics.
  void end_step(double lr);

  int64_t step() const { return step_; }
  int64_t nonfinite_steps() const { return nonfinite_steps_; }
  /// Routine loss-scale overflows this session (not counted in nonfinite_steps()).
  int64_t scale_overflows() const { return scale_overflows_; }
  /// Product of the rollback learning-rate factors so far; multiply the schedule's rate by it.
  double lr_scale() const { return lr_scale_; }
  double loss() const { return loss_; }
  double grad_norm() const { return grad_norm_; }
  double weight_norm() const { return weight_norm_; }
  const std::vector<NonFiniteEvent>& events() const { return events_; }
  /// The investigation of this session's first event (only the first is investigated).
  const std::optional<Investigation>& first_investigation() const { return first_investigation_; }

 private:
  bool agreed(bool finite_here);
  bool handle(GuardStage stage);
  std::optional<NonFiniteCause> investigate(GuardStage stage);
  Investigation replay_in_place(const StepEvidence& evidence);
  void take_snapshot();

  torch::nn::Module& model_;
  torch::optim::Optimizer& optimizer_;
  GuardOptions options_;
  Investigator investigator_;
  EventSink event_sink_;
  Consensus consensus_;
  std::vector<int64_t> ranks_;  ///< of the check in hand: the ranks that found a non-finite value
  bool found_here_ = false;     ///< whether this rank was one of them
  StateSnapshot snapshot_;
  int64_t step_ = 0, nonfinite_steps_ = 0, consecutive_ = 0;
  int64_t scale_overflows_ = 0, overflows_in_a_row_ = 0;
  std::function<void(const ScaleOverflow&)> overflow_sink_;
  double lr_scale_ = 1, loss_ = 0, grad_norm_ = 0, weight_norm_ = 0;
  std::vector<std::string> samples_;
  LossFn loss_fn_;
  std::vector<torch::Tensor> inputs_;  ///< of the current step, for the input-stage report
  static constexpr size_t kHistory = 50;
  std::deque<StepRecord> history_;  ///< the last good steps, for the forensics report
  std::vector<NonFiniteEvent> events_;
  std::optional<Investigation> first_investigation_;
};

}  // namespace depthguard
