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
//
// On a GPU every check above is a device read, which stalls the host until the device has
// caught up. The trainer's loop reads the device once per step instead (check_step):
//
//     sentinel.begin_step(ids, loss_fn);
//     sentinel.expect_inputs({x, y}, finite);  // known on the host: the loader checked the batch
//     optimizer.zero_grad();
//     auto loss = loss_fn(model->forward(x), y);
//     loss.backward();
//     if (!sentinel.check_step({loss.detach()}, /*max_norm=*/1.0)) continue;  // the one read
//     optimizer.step();
//     if (!sentinel.end_step(lr)) continue;  // queues the weight check for the next read
//
// The weights after an update are then checked one step late, with the next step's figures,
// or earlier by settle(), which a loop calls before it logs, evaluates or saves them.
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include "depthguard/guard/finite_check.h"
#include "depthguard/guard/forensics_report.h"
#include "depthguard/guard/generator_keeper.h"
#include "depthguard/guard/guard_action.h"
#include "depthguard/guard/guard_options.h"
#include "depthguard/guard/spike_detector.h"
#include "depthguard/guard/step_conditions.h"
#include "depthguard/guard/watched_state.h"

namespace depthguard {

/// One non-finite step, as the sentinel handled it.
struct NonFiniteEvent {
  /// The updates the sentinel let through before it (what a rollback returns to, what a
  /// checkpoint counts): step() when it was found.
  int64_t step = 0;
  /// The loop's own count of the steps it ran (begin_step's `iteration`, or else begin_step
  /// calls since start(step), from `step`, a transient's retry not counted): it goes on where
  /// step does not (an overflow's dropped update, a skip, a rollback).
  int64_t iteration = 0;
  GuardStage stage = GuardStage::Input;
  GuardAction action = GuardAction::Skip;
  /// Policy auto: why it took `action` (AutoDecision::reason); "" under an explicit policy.
  std::string reason;
  int64_t consecutive = 1;           ///< non-finite steps in a row, this one included
  std::vector<std::string> samples;  ///< ids given to begin_step
  std::vector<int64_t> ranks;        ///< data-parallel ranks that saw it (agree_with); empty without
  std::optional<NonFiniteCause> cause;  ///< from the forensics of this event (first_investigation())
  /// Not investigated itself (only a session's first event is: a replay costs several steps'
  /// time, and later ones usually repeat it): the first investigated event's cause.
  std::optional<NonFiniteCause> cause_of_first;
  std::string report_location;          ///< where the investigation wrote its report, "" if nowhere
  /// A loss or gradient event that no rank's replays on its own device reproduced.
  bool transient = false;
  std::string replayed_on;  ///< the device those replays ran on (this rank's), "" when not transient
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

/// A step's figures for check_step: tensors on the training device, none read yet.
struct StepFigures {
  torch::Tensor loss;                ///< scalar: the value check_loss would be given
  std::vector<torch::Tensor> along;  ///< more scalars read in the same copy (Sentinel::along())
  /// Loss scaling: the scaler's found-inf flag (one element, nonzero when the scaled
  /// gradients overflowed) and what backs the scale off and returns the scale after it.
  /// Undefined without loss scaling, or when this step's non-finite gradient is not the
  /// scale's doing (then it is a gradient event).
  torch::Tensor overflowed;
  std::function<double()> back_off;
};

/// The consensus bit of a check's stage (Sentinel::Consensus).
constexpr int64_t stage_flag(GuardStage stage) { return int64_t{1} << static_cast<int>(stage); }

/// What an investigation knows: the step, the stage, the good steps before it and the
/// spikes among them, and the conditions the step ran under (its reproducer records them).
struct StepEvidence {
  int64_t step = 0;
  int64_t iteration = 0;  ///< the loop's own number of the step (NonFiniteEvent::iteration)
  GuardStage stage = GuardStage::Input;
  const std::vector<std::string>& samples;
  const std::deque<StepRecord>& history;
  const std::deque<Spike>& spikes;
  StepConditions conditions;
};

class Sentinel {
 public:
  using LossFn = std::function<torch::Tensor()>;
  using Investigator = std::function<Investigation(const StepEvidence&)>;
  using EventSink = std::function<void(const NonFiniteEvent&)>;
  /// Replays a loss or gradient event's step on the run's own device, in its own precision,
  /// from the state and generator it started from (GuardOptions::replays times): whether the
  /// non-finite value came back; nullopt when the step cannot be replayed.
  using Rerun = std::function<std::optional<bool>(const StepEvidence&)>;
  /// Told this rank's flags (the stage_flag of each stage whose check found a non-finite
  /// value here, or 0), returns every rank's flags in rank order: one all-reduce (an event
  /// asks once more, for the replays' answers). Bits 0-15 are the sentinel's; from bit 16 on
  /// they are the caller's (the trainer's stop request rides along) and the sentinel ignores
  /// them.
  using Consensus = std::function<std::vector<int64_t>(int64_t flags_here)>;
  /// Told this rank's text, returns every rank's in rank order (an all-gather of strings).
  using Share = std::function<std::vector<std::string>(const std::string& here)>;

  /// Watches `model` and `optimizer` (both must outlive the sentinel). Checks options with
  /// TORCH_CHECK: max_skips >= 0, snapshot_interval >= 1, lr_factor in [0, 1].
  Sentinel(torch::nn::Module& model, torch::optim::Optimizer& optimizer, GuardOptions options = {});
  /// Watches what `state` gives (the Python package's model, optimiser and scaler).
  Sentinel(std::shared_ptr<WatchedState> state, GuardOptions options = {});

  /// Replaces the default forensics (the step's loss function replayed in place under
  /// first_nonfinite_op) with the owner's, e.g. the trainer's reproducer bundle.
  Sentinel& investigate_with(Investigator investigator);
  /// The call sites of the operators an in-place replay records (the Python package finds
  /// them on the Python stack): its report names the line of the loop's code, and its fix is
  /// told in PyTorch code.
  Sentinel& find_call_sites_with(CallSiteFinder finder);
  /// Replaces the default rerun (the step's loss function replayed in place, its loss and,
  /// for a gradient event, its gradients checked), e.g. with the trainer's replay of the
  /// reproducer bundle on a fresh model (its data-parallel hooks stay out of a rank's replay).
  Sentinel& rerun_with(Rerun rerun);
  /// Called after every event, before a halt is thrown (the trainer writes metrics.jsonl).
  Sentinel& on_event(EventSink sink);
  /// Data-parallel training: the checks whose values differ between ranks (inputs, loss,
  /// weights with their BatchNorm buffers) ask `consensus`, so every rank takes the same
  /// action at the same step and none waits for a rank that skipped; check_step and settle
  /// ask it once for all their checks. The gradient check asks nothing: averaged gradients
  /// are the same on every rank, a rank's NaN included. Only a rank that saw the value
  /// investigates it; events name the ranks.
  Sentinel& agree_with(Consensus consensus);
  /// Data-parallel training, with agree_with: at each event every rank tells the others the
  /// samples, cause and report of what it saw (one `share` per event, never on a healthy
  /// step), so every rank's event names the samples and cause of the rank(s) that saw the
  /// value, not its own good batch.
  Sentinel& share_with(Share share);
  /// Called after each routine loss-scale overflow (the trainer logs it).
  Sentinel& on_scale_overflow(std::function<void(const ScaleOverflow&)> sink);
  /// Called for each spike warning (GuardOptions::spike_ratio; SpikeDetector), after the step's
  /// checks passed: figures already read, so no device read of its own; nothing in the
  /// training changes. The forensics of a later event carries the spikes of its history.
  Sentinel& on_spike(std::function<void(const Spike&)> sink);

  /// Begins watching at `step` (0, or a resumed run's step) with the counters a resumed
  /// run carries; takes the first snapshot.
  void start(int64_t step, int64_t nonfinite_steps = 0, double lr_scale = 1);

  /// Before each step: the ids of its samples (for the event and the report) and a function
  /// that recomputes its loss from the batch, replayed by the default forensics and rerun
  /// (may be empty: then the loss and gradient stages are reported without an operator, and
  /// no event is found transient), and the loop's own number of the step (its batch or
  /// iteration counter, NonFiniteEvent::iteration; nullopt: counted here). Keeps the default
  /// generators' states (and, with on_transient retry, copies of the floating buffers) for a
  /// replay or a retry.
  ///
  /// The order of a step: begin_step, the checks (check_step, or the per-check calls), then
  /// end_step after the update. A check before begin_step, or end_step after a check that
  /// returned false (that step is over) or without one, throws std::logic_error naming the
  /// call: a loop in the wrong order would be watched by nothing.
  void begin_step(std::vector<std::string> samples = {}, LossFn loss_fn = {},
                  std::optional<int64_t> iteration = std::nullopt);

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

  /// The one-read step, first part: this step's inputs and whether all their values are
  /// finite, known on the host (the data loader checks each batch in its worker threads).
  /// Non-finite inputs still go through forward and backward, so that every rank of a group
  /// takes part in the gradient all-reduce; the floating buffers (BatchNorm statistics) are
  /// copied here and put back when check_step handles the event.
  void expect_inputs(std::vector<torch::Tensor> inputs, bool finite);
  /// The one-read step, after backward: reads `figures`, the gradient norm and the weight
  /// check the last end_step queued in one device-to-host copy, asks the consensus once, and
  /// checks in order: the previous update's weights (an event of that step), the inputs
  /// (expect_inputs), the loss, the loss scale's overflow (as check_loss_scale), the
  /// gradients (as check_gradients, clipped to `max_norm` when > 0). True when all passed.
  /// TORCH_CHECKs that figures.loss is defined, one value and floating-point, and back_off
  /// with overflowed.
  bool check_step(const StepFigures& figures, double max_norm = 0);
  /// Drops this checked step's update for a reason of the loop's own (a batch with nothing to
  /// learn from: no valid depth pixel): the step is over and its update discarded, as a skip
  /// would, but it is neither a step nor an event: no count, history or spike estimate
  /// changes. Throws std::logic_error outside a step, as the checks do.
  void drop_step();
  /// Reads a weight check end_step queued, now (a device read and, in a group, a consensus);
  /// false when the weights were not finite (the event of the step that updated them,
  /// handled: rolled back, or NonFiniteHalt). True when nothing was queued. A loop calls it
  /// before it logs, evaluates or saves the weights; in a group, on every rank.
  bool settle();

  /// After a step whose checks all passed: records it, advances step(), snapshots every
  /// snapshot_interval steps. `lr` is kept in the history for the forensics. After
  /// check_step the weight check is queued on the device, and read here at once when a
  /// snapshot is due (a snapshot must hold finite weights): false when that read found the
  /// event (handled as settle() does); true otherwise.
  bool end_step(double lr);

  /// After a check returned false: the event was transient and on_transient retry asked for
  /// the same step to run again, with the same batch: call begin_step and run it. The
  /// gradients are dropped and the buffers and generators are as the step began, so a
  /// finite retry trains bit for bit as if the fault had not happened.
  bool retrying() const { return retrying_; }
  /// Transient events this session (loss or gradient events no replay reproduced).
  int64_t transient_steps() const { return transient_steps_; }
  /// Spike warnings this session.
  int64_t spike_count() const { return spike_count_; }

  int64_t step() const { return step_; }
  int64_t nonfinite_steps() const { return nonfinite_steps_; }
  /// Routine loss-scale overflows this session (not counted in nonfinite_steps()).
  int64_t scale_overflows() const { return scale_overflows_; }
  /// Product of the rollback learning-rate factors so far; multiply the schedule's rate by it.
  double lr_scale() const { return lr_scale_; }
  double loss() const { return loss_; }
  double grad_norm() const { return grad_norm_; }
  double weight_norm() const { return weight_norm_; }
  /// check_step's `along` figures of the last step it read.
  const std::vector<double>& along() const { return along_; }
  /// Device-to-host reads by check_step, settle and end_step this session (one per step
  /// checked, plus one for each settle with a queued check).
  int64_t device_reads() const { return device_reads_; }
  const std::vector<NonFiniteEvent>& events() const { return events_; }
  /// The investigation of this session's first event, or, when that one was transient, of
  /// the first event after it that was not: a machine's fault does not use up the forensics
  /// of the model's. Later events are not investigated.
  const std::optional<Investigation>& first_investigation() const { return first_investigation_; }

  /// The default forensics, for an investigator that adds to it (writes the report
  /// somewhere): inputs named by position; the loss function replayed with every operator
  /// watched, from the generators the step began with (buffers and the generators kept as
  /// they were), each operator with its call site (find_call_sites_with); non-finite weights
  /// named. It is a loop's own code: the fix is told in PyTorch terms (FixTerms::PyTorch).
  Investigation replay_in_place(const StepEvidence& evidence);

 private:
  void require_step(const char* call);
  void share_event(NonFiniteEvent& event);
  std::vector<int64_t> gathered(int64_t flags_here);
  bool found(GuardStage stage, const std::vector<int64_t>& flags);
  bool agreed(GuardStage stage, bool finite_here);
  bool queued_weights_finite(const double* read);
  std::vector<torch::Tensor> queued_figures() const;
  bool judge_gradients(const std::vector<torch::Tensor>& grads, double norm, double max_norm);
  /// `replayable` false: a gradient event of an escalating loss scale, never transient.
  bool handle(GuardStage stage, bool replayable = true);
  bool handle_late_weights();
  bool retry(const std::string& what);
  void watch_for_spikes();
  StepEvidence evidence(GuardStage stage) const;
  std::optional<NonFiniteCause> investigate(GuardStage stage);
  bool transient_on_every_rank(GuardStage stage, bool investigated);
  std::optional<bool> reproduced_here(GuardStage stage, bool investigated);
  std::optional<bool> rerun_in_place(const StepEvidence& evidence);
  bool replay_loss_fn(GuardStage stage);
  std::string replay_device();
  void take_snapshot();

  std::shared_ptr<WatchedState> state_;
  GuardOptions options_;
  Investigator investigator_;
  CallSiteFinder call_site_finder_;
  EventSink event_sink_;
  Consensus consensus_;
  Share share_;
  Rerun rerun_;
  std::vector<int64_t> ranks_;  ///< of the check in hand: the ranks that found a non-finite value
  bool found_here_ = false;     ///< whether this rank was one of them
  int64_t flags_here_ = 0;      ///< this rank's flags of the last consensus
  int64_t snapshot_step_ = 0;  ///< the step the state's snapshot was taken at
  int64_t step_ = 0, nonfinite_steps_ = 0, consecutive_ = 0;
  int64_t scale_overflows_ = 0, overflows_in_a_row_ = 0;
  std::function<void(const ScaleOverflow&)> overflow_sink_;
  double lr_scale_ = 1, loss_ = 0, grad_norm_ = 0, weight_norm_ = 0;
  std::vector<std::string> samples_;
  bool in_step_ = false;       ///< begin_step came, and no check has handled an event since
  bool step_checked_ = false;  ///< a check ran since begin_step
  int64_t iteration_ = 0, next_iteration_ = 0;
  LossFn loss_fn_;
  std::vector<torch::Tensor> inputs_;  ///< of the current step, for the input-stage report
  /// The buffers as the step began: copied by begin_step for a retry, and by
  /// expect_inputs when the inputs were not finite (their forward pass changes them).
  std::vector<torch::Tensor> start_buffers_;
  bool start_buffers_taken_ = false;  ///< start_buffers_ hold this step's (their tensors are reused)
  GeneratorStates start_generators_;  ///< as the step began: replays and a retry draw the same
  bool inputs_finite_ = true;         ///< as expect_inputs was told
  bool retrying_ = false;             ///< the last event asked for the step to run again
  int64_t retried_step_ = -1;         ///< the step that was last retried
  int64_t transient_steps_ = 0;
  bool deferring_weights_ = false;            ///< this step went through check_step
  /// The weight check end_step queued, begun without a read (finished by the next
  /// check_step's read or settle), with the samples and iteration of the update it checks.
  bool weights_queued_ = false;  ///< an update's weight check waits for the next read
  PendingNorm queued_weights_;   ///< its parameters' norm
  PendingNorm queued_buffers_;   ///< its floating buffers' norm: finite exactly when they are
  std::vector<std::string> queued_samples_;
  int64_t queued_iteration_ = 0;
  std::vector<double> along_;
  int64_t device_reads_ = 0;
  static constexpr size_t kHistory = 50;
  std::deque<StepRecord> history_;  ///< the last good steps, for the forensics report
  SpikeDetector loss_spikes_, grad_norm_spikes_;
  std::deque<Spike> spikes_;  ///< the spikes among history_'s steps
  std::function<void(const Spike&)> spike_sink_;
  int64_t spike_count_ = 0;
  std::vector<NonFiniteEvent> events_;
  std::optional<Investigation> first_investigation_;
};

}  // namespace depthguard
