#include "depthguard/guard/sentinel.h"

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "depthguard/core/errors.h"
#include "depthguard/core/log.h"
#include "depthguard/guard/finite_check.h"
#include "depthguard/guard/generator_keeper.h"
#include "depthguard/guard/module_state.h"
#include "depthguard/guard/nonfinite_findings.h"
#include "depthguard/guard/nonfinite_recorder.h"

namespace depthguard {

namespace {

std::string joined(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out;
}

// Copies of the floating buffers (BatchNorm statistics), which a replayed forward pass in
// training mode would update a second time.
std::vector<torch::Tensor> buffer_copies(WatchedState& state) {
  std::vector<torch::Tensor> copies;
  for (const auto& b : state.buffers()) copies.push_back(b.clone());
  return copies;
}

// buffer_copies into `kept`, reusing its tensors while they match the buffers: taken at every
// step, it then allocates nothing, and a CPU buffer (BatchNorm's statistics) is copied by the
// host without an operator dispatched.
void copy_buffers_into(WatchedState& state, std::vector<torch::Tensor>& kept) {
  const auto buffers = state.buffers();
  bool matching = kept.size() == buffers.size();
  for (size_t i = 0; matching && i < buffers.size(); ++i) {
    matching = buffers[i].sizes() == kept[i].sizes() && buffers[i].dtype() == kept[i].dtype() &&
               buffers[i].device() == kept[i].device();
  }
  if (!matching) {
    kept = buffer_copies(state);
    return;
  }
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < buffers.size(); ++i) {
    if (buffers[i].is_cpu() && buffers[i].is_contiguous() && kept[i].is_contiguous()) {
      std::memcpy(kept[i].data_ptr(), buffers[i].data_ptr(), buffers[i].nbytes());
    } else {
      kept[i].copy_(buffers[i]);
    }
  }
}

void restore_buffers(WatchedState& state, const std::vector<torch::Tensor>& copies) {
  torch::NoGradGuard no_grad;
  const auto buffers = state.buffers();
  for (size_t i = 0; i < buffers.size(); ++i) buffers[i].copy_(copies[i]);
}

}  // namespace

Sentinel::Sentinel(torch::nn::Module& model, torch::optim::Optimizer& optimizer, GuardOptions options)
    : Sentinel(std::make_shared<ModuleState>(model, optimizer), options) {}

Sentinel::Sentinel(std::shared_ptr<WatchedState> state, GuardOptions options)
    : state_(std::move(state)),
      options_(options),
      loss_spikes_("loss", options.spike_ratio(), options.spike_mads(), options.spike_window(), options.spike_warmup()),
      grad_norm_spikes_("grad_norm", options.spike_ratio(), options.spike_mads(), options.spike_window(),
                        options.spike_warmup()) {
  TORCH_CHECK(state_ != nullptr, "Sentinel: state must not be null");
  TORCH_CHECK(options_.max_skips() >= 0, "max_skips must be >= 0, got ", options_.max_skips());
  TORCH_CHECK(options_.min_loss_scale() >= 0, "min_loss_scale must be >= 0, got ", options_.min_loss_scale());
  TORCH_CHECK(options_.max_scale_backoffs() >= 0, "max_scale_backoffs must be >= 0, got ", options_.max_scale_backoffs());
  TORCH_CHECK(options_.snapshot_interval() >= 1, "snapshot_interval must be >= 1, got ", options_.snapshot_interval());
  TORCH_CHECK(options_.lr_factor() >= 0 && options_.lr_factor() <= 1, "lr_factor must be in [0, 1], got ",
              options_.lr_factor());
  TORCH_CHECK(options_.replays() >= 1, "replays must be >= 1, got ", options_.replays());
  TORCH_CHECK(options_.spike_ratio() == 0 || options_.spike_ratio() > 1, "spike_ratio must be 0 (off) or > 1, got ",
              options_.spike_ratio());
  TORCH_CHECK(options_.spike_mads() >= 0, "spike_mads must be >= 0, got ", options_.spike_mads());
  TORCH_CHECK(options_.spike_window() >= 1, "spike_window must be >= 1, got ", options_.spike_window());
  TORCH_CHECK(options_.spike_warmup() >= 1, "spike_warmup must be >= 1, got ", options_.spike_warmup());
  investigator_ = [this](const StepEvidence& evidence) { return replay_in_place(evidence); };
  rerun_ = [this](const StepEvidence& evidence) { return rerun_in_place(evidence); };
}

Sentinel& Sentinel::rerun_with(Rerun rerun) {
  rerun_ = std::move(rerun);
  return *this;
}

Sentinel& Sentinel::find_call_sites_with(CallSiteFinder finder) {
  call_site_finder_ = std::move(finder);
  return *this;
}

Sentinel& Sentinel::investigate_with(Investigator investigator) {
  investigator_ = std::move(investigator);
  return *this;
}

Sentinel& Sentinel::on_event(EventSink sink) {
  event_sink_ = std::move(sink);
  return *this;
}

Sentinel& Sentinel::agree_with(Consensus consensus) {
  consensus_ = std::move(consensus);
  return *this;
}

Sentinel& Sentinel::share_with(Share share) {
  share_ = std::move(share);
  return *this;
}

void Sentinel::start(int64_t step, int64_t nonfinite_steps, double lr_scale) {
  step_ = step;
  nonfinite_steps_ = nonfinite_steps;
  lr_scale_ = lr_scale;
  next_iteration_ = step;
  take_snapshot();
}

void Sentinel::begin_step(std::vector<std::string> samples, LossFn loss_fn, std::optional<int64_t> iteration) {
  iteration_ = iteration ? *iteration : retrying_ ? iteration_ : next_iteration_;
  next_iteration_ = iteration_ + 1;
  in_step_ = true;
  step_checked_ = false;
  samples_ = std::move(samples);
  loss_fn_ = std::move(loss_fn);
  inputs_.clear();
  inputs_finite_ = true;
  deferring_weights_ = false;
  retrying_ = false;
  start_generators_ = GeneratorStates::capture();
  start_buffers_taken_ = options_.on_transient() == TransientPolicy::Retry;
  if (start_buffers_taken_) copy_buffers_into(*state_, start_buffers_);
}

// A check belongs to a step that begin_step began and no handled event has ended.
void Sentinel::require_step(const char* call) {
  if (!in_step_) {
    throw std::logic_error(fmt::format(
        "Sentinel::{}: no step in hand: call begin_step before each step's forward pass (after a check returned "
        "false, that step is over: begin the next one)",
        call));
  }
  step_checked_ = true;
}

// Every rank's flags (this rank's alone without a consensus).
std::vector<int64_t> Sentinel::gathered(int64_t flags_here) {
  flags_here_ = flags_here;
  return consensus_ ? consensus_(flags_here) : std::vector<int64_t>{flags_here};
}

// Whether some rank flagged `stage`, noting which and whether this rank was one of them.
bool Sentinel::found(GuardStage stage, const std::vector<int64_t>& flags) {
  const int64_t bit = stage_flag(stage);
  found_here_ = (flags_here_ & bit) != 0;
  ranks_.clear();
  for (size_t r = 0; r < flags.size(); ++r) {
    if ((flags[r] & bit) != 0) ranks_.push_back(static_cast<int64_t>(r));
  }
  return !ranks_.empty();
}

// Whether one check passed on every rank (on this one, alone).
bool Sentinel::agreed(GuardStage stage, bool finite_here) {
  return !found(stage, gathered(finite_here ? 0 : stage_flag(stage)));
}

bool Sentinel::check_inputs(const std::vector<torch::Tensor>& inputs) {
  require_step("check_inputs");
  const bool finite = all_finite(inputs);
  if (!finite) inputs_ = inputs;
  return agreed(GuardStage::Input, finite) || handle(GuardStage::Input);
}

bool Sentinel::check_loss(double loss) {
  require_step("check_loss");
  loss_ = loss;
  return agreed(GuardStage::Loss, std::isfinite(loss)) || handle(GuardStage::Loss);
}

bool Sentinel::check_gradients(double max_norm) {
  require_step("check_gradients");
  const auto grads = gradients_of(state_->parameters());
  return judge_gradients(grads, global_norm(grads), max_norm);
}

// The gradient check on a norm already read: averaged gradients are the same on every rank,
// so no consensus is asked.
bool Sentinel::judge_gradients(const std::vector<torch::Tensor>& grads, double norm, double max_norm) {
  grad_norm_ = norm;
  found_here_ = !std::isfinite(grad_norm_);
  ranks_.clear();
  if (found_here_) return handle(GuardStage::Gradient);
  if (max_norm > 0 && grad_norm_ > max_norm) {
    torch::NoGradGuard no_grad;
    for (const auto& g : grads) g.mul_(max_norm / (grad_norm_ + 1e-6));
  }
  return true;
}

Sentinel& Sentinel::on_scale_overflow(std::function<void(const ScaleOverflow&)> sink) {
  overflow_sink_ = std::move(sink);
  return *this;
}

Sentinel& Sentinel::on_spike(std::function<void(const Spike&)> sink) {
  spike_sink_ = std::move(sink);
  return *this;
}

bool Sentinel::check_loss_scale(bool overflowed, double scale) {
  require_step("check_loss_scale");
  if (!overflowed) return true;
  ++overflows_in_a_row_;
  if (scale < options_.min_loss_scale() || overflows_in_a_row_ > options_.max_scale_backoffs()) {
    log_message(LogLevel::Warn,
                fmt::format("{}: the loss-scaled gradients overflowed {} time(s) in a row, scale now {:g} (guard: "
                            "min_loss_scale {:g}, max_scale_backoffs {}): more than the scale explains",
                            step_words(iteration_, step_), overflows_in_a_row_, scale, options_.min_loss_scale(), options_.max_scale_backoffs()));
    overflows_in_a_row_ = 0;
    found_here_ = true;
    ranks_.clear();  // averaged gradients: every rank overflowed
    return handle(GuardStage::Gradient, /*replayable=*/false);  // the scale's doing: never transient
  }
  ++scale_overflows_;
  in_step_ = false;  // the update is dropped: the step is over
  state_->discard_update();
  log_message(LogLevel::Debug,
              fmt::format("{}: loss-scale overflow, update dropped, scale backed off to {:g}", step_words(iteration_, step_),
                          scale));
  if (overflow_sink_) overflow_sink_({step_, scale, overflows_in_a_row_});
  return false;
}

bool Sentinel::check_weights() {
  require_step("check_weights");
  weight_norm_ = global_norm(state_->parameters());
  // BatchNorm's running statistics can overflow while the weights and the loss (computed
  // with batch statistics) stay finite; evaluation and every checkpoint would then break.
  return agreed(GuardStage::Weight, std::isfinite(weight_norm_) && all_finite(state_->buffers())) ||
         handle(GuardStage::Weight);
}

void Sentinel::expect_inputs(std::vector<torch::Tensor> inputs, bool finite) {
  require_step("expect_inputs");
  inputs_finite_ = finite;
  if (finite) return;
  inputs_ = std::move(inputs);
  if (!start_buffers_taken_) copy_buffers_into(*state_, start_buffers_);
  start_buffers_taken_ = true;
}

bool Sentinel::check_step(const StepFigures& figures, double max_norm) {
  require_step("check_step");
  TORCH_CHECK(figures.loss.defined(), "check_step: loss must be defined");
  TORCH_CHECK(figures.loss.numel() == 1, "check_step: loss must be one value, got a tensor of shape ",
              figures.loss.sizes(), ": reduce it first (loss.mean())");
  TORCH_CHECK(figures.loss.is_floating_point(), "check_step: loss must be a floating-point tensor, got ",
              figures.loss.scalar_type());
  TORCH_CHECK(!figures.overflowed.defined() || figures.back_off, "StepFigures: overflowed needs back_off");
  for (const auto& t : figures.along) TORCH_CHECK(t.numel() == 1, "StepFigures: along must hold one value each");
  deferring_weights_ = true;
  const auto grads = measurable(gradients_of(state_->parameters()));
  // [loss, along..., overflowed?, each gradient's norm..., queued weight figures...]
  std::vector<torch::Tensor> parts{figures.loss};
  for (const auto& t : figures.along) parts.push_back(t);
  const bool scaling = figures.overflowed.defined();
  if (scaling) parts.push_back(figures.overflowed.sum());
  const auto grad_norm = begin_norm(grads);
  if (grad_norm.read_count() > 0) parts.push_back(grad_norm.device_norms);
  if (weights_queued_) {
    for (const auto& t : queued_figures()) parts.push_back(t.to(figures.loss.device()));
  }
  const auto read = read_figures(parts);
  ++device_reads_;

  size_t at = 0;
  loss_ = read[at++];
  const auto along_end = at + figures.along.size();
  along_.assign(read.begin() + static_cast<std::ptrdiff_t>(at), read.begin() + static_cast<std::ptrdiff_t>(along_end));
  at = along_end;
  const bool overflowed = scaling && read[at++] != 0;
  const double fast_grad_norm = grad_norm.finish(&read[at]);
  at += grad_norm.read_count();
  const bool weights_finite = !weights_queued_ || queued_weights_finite(&read[at]);

  const int64_t here = (weights_finite ? 0 : stage_flag(GuardStage::Weight)) |
                       (inputs_finite_ ? 0 : stage_flag(GuardStage::Input)) |
                       (std::isfinite(loss_) ? 0 : stage_flag(GuardStage::Loss));
  const auto flags = gathered(here);
  if (found(GuardStage::Weight, flags)) return handle_late_weights();
  if (found(GuardStage::Input, flags)) return handle(GuardStage::Input);
  if (found(GuardStage::Loss, flags)) return handle(GuardStage::Loss);
  if (overflowed && !check_loss_scale(true, figures.back_off())) return false;
  // A float32 norm that overflowed is read again in float64 (global_norm): rare, and only then.
  return judge_gradients(grads, std::isfinite(fast_grad_norm) ? fast_grad_norm : global_norm(grads), max_norm);
}

// The queued weight check as read: the parameters' device norms, then the buffers'. The
// history's record of the update it checks gets the weight norm.
bool Sentinel::queued_weights_finite(const double* read) {
  weights_queued_ = false;
  // A norm that overflowed its precision is computed again in float64, as check_weights would.
  const double fast_weight_norm = queued_weights_.finish(read);
  weight_norm_ = std::isfinite(fast_weight_norm) ? fast_weight_norm : global_norm(state_->parameters());
  if (!history_.empty()) history_.back().weight_norm = weight_norm_;
  const bool buffers_finite = std::isfinite(queued_buffers_.finish(read + queued_weights_.read_count())) ||
                              all_finite(state_->buffers());
  return std::isfinite(weight_norm_) && buffers_finite;
}

// What the queued weight check still has to read: the parameters' device norms, then the
// buffers'.
std::vector<torch::Tensor> Sentinel::queued_figures() const {
  std::vector<torch::Tensor> figures;
  for (const auto* queued : {&queued_weights_, &queued_buffers_}) {
    if (queued->read_count() > 0) figures.push_back(queued->device_norms);
  }
  return figures;
}

bool Sentinel::settle() {
  if (!weights_queued_) return true;
  const auto read = read_figures(queued_figures());
  ++device_reads_;
  const bool finite = queued_weights_finite(read.data());
  return !found(GuardStage::Weight, gathered(finite ? 0 : stage_flag(GuardStage::Weight))) || handle_late_weights();
}

// Non-finite weights found one step late: the event of the step whose update made them (a
// weight event always rolls back or halts, so step() goes back to a snapshot either way).
bool Sentinel::handle_late_weights() {
  --step_;
  if (!history_.empty() && history_.back().step == step_) history_.pop_back();  // not a good step after all
  samples_ = std::move(queued_samples_);
  iteration_ = queued_iteration_;
  return handle(GuardStage::Weight);
}

void Sentinel::drop_step() {
  require_step("drop_step");
  in_step_ = false;
  state_->discard_update();
}

bool Sentinel::end_step(double lr) {
  if (!in_step_ || !step_checked_) {
    throw std::logic_error(in_step_ ? "Sentinel::end_step: this step was not checked: call check_step (or the "
                                      "per-check calls) after backward, before the optimizer's step"
                                    : "Sentinel::end_step: no step in hand: end_step follows a begin_step whose "
                                      "checks passed (after a check returned false, that step is over)");
  }
  in_step_ = false;
  retried_step_ = -1;
  watch_for_spikes();
  history_.push_back({step_, loss_, grad_norm_, weight_norm_, lr});
  if (history_.size() > kHistory) history_.pop_front();
  while (!spikes_.empty() && spikes_.front().step < history_.front().step) spikes_.pop_front();
  ++step_;
  consecutive_ = 0;
  overflows_in_a_row_ = 0;
  if (deferring_weights_) {
    queued_weights_ = begin_norm(measurable(state_->parameters()));
    queued_buffers_ = begin_norm(measurable(state_->buffers()));
    weights_queued_ = true;
    queued_samples_ = samples_;
    queued_iteration_ = iteration_;
  }
  if (step_ % options_.snapshot_interval() != 0) return true;
  if (!settle()) return false;
  take_snapshot();
  return true;
}

// The loss and the gradient norm of a step whose checks passed, against their estimates.
void Sentinel::watch_for_spikes() {
  for (auto* detector : {&loss_spikes_, &grad_norm_spikes_}) {
    const auto spike = detector->add(step_, detector == &loss_spikes_ ? loss_ : grad_norm_);
    if (!spike) continue;
    ++spike_count_;
    spikes_.push_back(*spike);
    log_message(LogLevel::Warn,
                fmt::format("{}: {} {:.4g} is {:.3g}x its median {:.4g} over the last {} steps (spike_ratio {:g}): "
                            "a spike; {}",
                            step_words(iteration_, step_), spike->figure == "loss" ? "loss" : "gradient norm",
                            spike->value, spike->ratio(), spike->median, spike->over,
                            options_.spike_ratio(), kSpikeMeaning));
    if (spike_sink_) spike_sink_(*spike);
  }
}

StepEvidence Sentinel::evidence(GuardStage stage) const {
  return StepEvidence{step_,   iteration_, stage, samples_,
                      history_, spikes_,    StepConditions{at::get_num_threads(), start_generators_}};
}

// Snapshots serve skip and rollback; a halting sentinel never returns to one.
void Sentinel::take_snapshot() {
  if (options_.policy() == GuardPolicy::Halt) return;
  state_->take_snapshot();
  snapshot_step_ = step_;
}

// The event, in the order that loses nothing: forensics first (a halt or a restore changes
// the state it looks at), then the record, then the action.
bool Sentinel::handle(GuardStage stage, bool replayable) {
  in_step_ = false;  // whatever the action, this step is over
  ++nonfinite_steps_;
  ++consecutive_;
  NonFiniteEvent event;
  event.step = step_;
  event.iteration = iteration_;
  event.stage = stage;
  event.consecutive = consecutive_;
  event.samples = samples_;
  if (consensus_) event.ranks = ranks_;
  event.cause = found_here_ ? investigate(stage) : std::nullopt;
  const bool investigated_here = event.cause.has_value();
  if (investigated_here) event.report_location = first_investigation_->location;
  if (share_ && consensus_) share_event(event);
  if (!event.cause && first_investigation_) event.cause_of_first = first_investigation_->report.cause;
  event.transient = replayable && transient_on_every_rank(stage, investigated_here);
  if (event.transient) {
    ++transient_steps_;
    event.replayed_on = replay_device();
  }
  if (event.transient) {
    event.action = decide_transient_action(options_.on_transient(), options_.policy(), stage, consecutive_,
                                           options_.max_skips(), step_ == retried_step_);
    if (options_.policy() == GuardPolicy::Auto && event.action == GuardAction::Skip) {
      event.reason = "transient: its replays were finite, so the weights are not the cause";
    }
  } else if (options_.policy() == GuardPolicy::Auto) {
    // Ranks must act alike: a cause only some of them know (no share_with) decides nothing.
    const auto cause = consensus_ && !share_ ? std::nullopt : event.cause;
    auto decision = decide_auto_action(stage, cause, consecutive_, options_.max_skips());
    event.action = decision.action;
    event.reason = std::move(decision.reason);
  } else {
    event.action = decide_action(options_.policy(), stage, consecutive_, options_.max_skips());
  }
  events_.push_back(event);
  if (event_sink_) event_sink_(event);

  auto what = fmt::format("{}: non-finite {}", step_words(iteration_, step_), choice_name(guard_stage_choices(), stage));
  if (consensus_ && stage != GuardStage::Gradient) what += fmt::format(" on rank(s) {}", fmt::join(ranks_, ", "));
  // Without share_with a rank knows only its own samples: named where it saw the value.
  if (!event.samples.empty() && (found_here_ || share_)) what += " (samples " + joined(event.samples) + ")";
  const auto location = [](const std::string& where) { return where.empty() ? std::string("in memory") : where; };
  if (event.cause) {
    const auto* op = investigated_here && first_investigation_->report.op ? &*first_investigation_->report.op : nullptr;
    what += fmt::format("; cause {}{}, report {}", choice_name(nonfinite_cause_choices(), *event.cause),
                        op && op->site ? " at " + op->site->text() : "", location(event.report_location));
  } else if (event.cause_of_first) {
    what += fmt::format("; first event's cause {}, report {}",
                        choice_name(nonfinite_cause_choices(), *event.cause_of_first),
                        location(first_investigation_->location));
  }
  if (event.transient) what += fmt::format("; transient (finite when replayed on {})", event.replayed_on);
  if (event.action == GuardAction::Halt) {
    throw NonFiniteHalt(fmt::format("{}; {} {}, {} non-finite step(s) in a row", what,
                                    event.transient ? "guard.on_transient" : "policy",
                                    event.transient ? choice_name(transient_policy_choices(), options_.on_transient())
                                                    : choice_name(guard_policy_choices(), options_.policy()),
                                    consecutive_));
  }
  if (event.action == GuardAction::Retry) return retry(what);
  state_->discard_update();
  if (!inputs_finite_) restore_buffers(*state_, start_buffers_);  // a non-finite batch's forward changed them
  if (event.action == GuardAction::Rollback) {
    state_->restore_snapshot();
    step_ = snapshot_step_;
    if (options_.policy() != GuardPolicy::Skip) lr_scale_ *= options_.lr_factor();
  }
  const auto done =
      event.action == GuardAction::Skip ? std::string("update skipped") : "rolled back to step " + std::to_string(step_);
  log_message(LogLevel::Warn, event.reason.empty()
                                  ? fmt::format("{}: {} (learning-rate scale {})", what, done, lr_scale_)
                                  : fmt::format("{}; auto: {}, {} (learning-rate scale {})", what, done, event.reason,
                                                lr_scale_));
  return false;
}

// What the ranks that saw the value saw, on every rank: their samples (in rank order), and the
// first one's cause and report when this rank has none of its own.
void Sentinel::share_event(NonFiniteEvent& event) {
  std::string here;
  if (found_here_) {
    nlohmann::json mine{{"samples", samples_}, {"report", event.report_location}};
    if (event.cause) mine["cause"] = choice_name(nonfinite_cause_choices(), *event.cause);
    here = mine.dump();
  }
  event.samples.clear();
  for (const auto& text : share_(here)) {
    if (text.empty()) continue;
    const auto theirs = nlohmann::json::parse(text);
    for (const auto& id : theirs["samples"]) event.samples.push_back(id.get<std::string>());
    if (!event.cause && theirs.contains("cause")) {
      event.cause = parse_choice(nonfinite_cause_choices(), "cause", theirs["cause"].get<std::string>());
      event.report_location = theirs["report"].get<std::string>();
    }
  }
}

// A transient event, retried: the step's gradients dropped, its buffers and generators put
// back as it began; the loop runs it again (retrying()).
bool Sentinel::retry(const std::string& what) {
  state_->discard_update();
  restore_buffers(*state_, start_buffers_);
  start_generators_.restore();
  retried_step_ = step_;
  retrying_ = true;
  log_message(LogLevel::Warn,
              fmt::format("{}: retrying the step", what));
  return false;
}

// Whether a loss or gradient event is transient: no rank that saw the value saw it again
// when its step was replayed. Every rank asks, at the same point (one consensus): the
// stage, and whether the loss scale escalated, are the same on every rank.
bool Sentinel::transient_on_every_rank(GuardStage stage, bool investigated) {
  if (stage != GuardStage::Loss && stage != GuardStage::Gradient) return false;
  constexpr int64_t kReproduced = int64_t{1} << 8, kTransient = int64_t{1} << 9, kNotReplayed = int64_t{1} << 10;
  const auto reproduced = found_here_ ? reproduced_here(stage, investigated) : std::nullopt;
  const int64_t here = !found_here_ ? 0 : !reproduced ? kNotReplayed : *reproduced ? kReproduced : kTransient;
  bool transient = false, not_transient = false;
  for (const auto flags : consensus_ ? consensus_(here) : std::vector<int64_t>{here}) {
    transient = transient || (flags & kTransient) != 0;
    not_transient = not_transient || (flags & (kReproduced | kNotReplayed)) != 0;
  }
  return transient && !not_transient;
}

// The investigation's replays answer for the event it investigated; the rerun for the rest.
std::optional<bool> Sentinel::reproduced_here(GuardStage stage, bool investigated) {
  if (investigated && !first_investigation_->report.replays.empty()) {
    return first_investigation_->report.cause != NonFiniteCause::Transient;
  }
  if (!rerun_) return std::nullopt;
  return rerun_(evidence(stage));
}

// The step's loss function once more, from its generator states: whether the value the
// sentinel saw came back (the loss; for a gradient event, the loss or a gradient). A
// non-finite loss was made in the forward pass: its backward would add nothing (and some,
// torch 1.13's of torch.var over one value, raise).
bool Sentinel::replay_loss_fn(GuardStage stage) {
  start_generators_.restore();
  state_->discard_update();
  const auto loss = loss_fn_();
  if (!torch::isfinite(loss.detach()).all().item<bool>()) return true;
  loss.backward();
  return stage == GuardStage::Gradient && !all_finite(gradients_of(state_->parameters()));
}

// The default rerun: replay_loss_fn without the recorder; the run is left as it was.
std::optional<bool> Sentinel::rerun_in_place(const StepEvidence& evidence) {
  if (!loss_fn_) return std::nullopt;
  GeneratorKeeper keep_generators;
  const auto buffers = buffer_copies(*state_);
  bool reproduced = false;
  for (int64_t i = 0; i < options_.replays() && !reproduced; ++i) reproduced = replay_loss_fn(evidence.stage);
  state_->discard_update();
  restore_buffers(*state_, buffers);
  return reproduced;
}

// Where the watched parameters live: the device an in-place replay runs on.
std::string Sentinel::replay_device() {
  const auto params = state_->parameters();
  return params.empty() ? "cpu" : params.front().device().str();
}

// Only the first event of a session is investigated (the first after transient ones, which
// tell nothing of the model): later ones usually repeat its cause,
// and a replay costs several steps' time.
std::optional<NonFiniteCause> Sentinel::investigate(GuardStage stage) {
  if (!options_.forensics() || (first_investigation_ && first_investigation_->report.cause != NonFiniteCause::Transient)) {
    return std::nullopt;
  }
  first_investigation_ = investigator_(evidence(stage));
  const auto& found = *first_investigation_;
  log_message(LogLevel::Warn,
              fmt::format("forensics of {}{}:\n{}", step_words(iteration_, step_),
                          found.location.empty() ? "" : " (bundle and report in " + found.location + ")", found.report.text()));
  return found.report.cause;
}

Investigation Sentinel::replay_in_place(const StepEvidence& evidence) {
  Investigation found;
  auto& r = found.report;
  r.step = evidence.step;
  r.iteration = evidence.iteration;
  r.stage = choice_name(guard_stage_choices(), evidence.stage);
  r.samples = evidence.samples;
  r.history.assign(evidence.history.begin(), evidence.history.end());
  r.spikes.assign(evidence.spikes.begin(), evidence.spikes.end());
  r.terms = FixTerms::PyTorch;
  for (size_t i = 0; i < inputs_.size(); ++i) {
    if (auto counts = nonfinite_counts(inputs_[i])) r.findings.push_back(fmt::format("input {} holds {}", i, *counts));
  }
  if (evidence.stage == GuardStage::Weight) {
    r.findings = parameter_findings(state_->named_parameters(), state_->named_buffers());
  } else if (evidence.stage != GuardStage::Input && loss_fn_) {
    GeneratorKeeper keep_generators;
    const auto buffers = buffer_copies(*state_);
    r.run_device = replay_device();
    r.intra_op_threads = at::get_num_threads();
    bool reproduced = false;
    for (int64_t i = 0; i < options_.replays() && !reproduced; ++i) {
      auto op = first_nonfinite_op([&] { reproduced = replay_loss_fn(evidence.stage); }, call_site_finder_);
      if (reproduced) r.op = std::move(op);  // else a NaN that reached neither loss nor gradient
      r.replays.push_back({r.run_device, "", reproduced});
    }
    state_->discard_update();
    restore_buffers(*state_, buffers);
  }
  r.classify();
  return found;
}

}  // namespace depthguard
