#include "depthguard/train/trainer.h"

#include <chrono>
#include <filesystem>
#include <memory>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "depthguard/config/data_config.h"
#include "depthguard/core/choice.h"
#include "depthguard/core/errors.h"
#include "depthguard/core/version.h"
#include "depthguard/data/data_loader.h"
#include "depthguard/data/rgbd_dataset.h"
#include "depthguard/data/rgbd_sample.h"
#include "depthguard/dist/gradient_reducer.h"
#include "depthguard/dist/process_group.h"
#include "depthguard/guard/event_json.h"
#include "depthguard/guard/fault_injector.h"
#include "depthguard/guard/finite_check.h"
#include "depthguard/guard/nonfinite_findings.h"
#include "depthguard/guard/guard_options.h"
#include "depthguard/guard/sentinel.h"
#include "depthguard/losses/depth_loss.h"
#include "depthguard/models/depth_model.h"
#include "depthguard/optim/loss_scaler.h"
#include "depthguard/optim/lr_schedule.h"
#include "depthguard/optim/optimizer.h"
#include "depthguard/report/progress_bar.h"
#include "depthguard/report/tensorboard_image.h"
#include "depthguard/runlog/tensorboard_writer.h"
#include "depthguard/runtime/atomic_file.h"
#include "depthguard/runtime/autocast.h"
#include "depthguard/runtime/cpu_kernels.h"
#include "depthguard/runtime/directory_lock.h"
#include "depthguard/runtime/interrupt.h"
#include "depthguard/train/checkpoint.h"
#include "depthguard/train/evaluator.h"
#include "depthguard/train/forensics.h"
#include "depthguard/train/kernel_check.h"
#include "depthguard/runlog/metrics_log.h"
#include "depthguard/train/sample_gallery.h"
#include "depthguard/train/state_dict_import.h"
#include "depthguard/train/step_profiler.h"
#include "depthguard/runlog/tensorboard_mirror.h"

namespace depthguard {

namespace fs = std::filesystem;

std::string last_checkpoint(const std::string& run) { return (fs::path(run) / "checkpoints" / "last.pt").string(); }
std::string best_checkpoint(const std::string& run) { return (fs::path(run) / "checkpoints" / "best.pt").string(); }

namespace {

// Where a stopped run's last state is, in words: its last.pt when there is one (a run saves
// only checked, finite weights, and refuses to start from others), else that none was saved.
std::string last_saved_state(const std::string& run, const char* kind) {
  const auto last = last_checkpoint(run);
  return fs::exists(last) ? fmt::format("{} holds the last {} state", last, kind)
                          : fmt::format("no checkpoint was saved before it ({} does not exist)", last);
}

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

nlohmann::json metrics_json(const DepthMetrics& m) {
  nlohmann::json j;
  for (const auto& [name, value] : metric_fields(m)) j[name] = value;
  return j;
}

// Training images per second, evaluation time excluded.
struct Throughput {
  double images = 0, eval_seconds = 0;
  double per_second(double seconds) const { return images / std::max(seconds - eval_seconds, 1e-9); }
};

// The figures of one log interval.
struct IntervalStats {
  double loss_sum = 0, objective_sum = 0;
  int64_t steps = 0, images = 0;
  Clock::time_point start = Clock::now();
};

class TrainingRun {
 public:
  TrainingRun(const TrainConfig& config, const RunOptions& options)
      : config_(config),
        options_(options),
        root_(!options.dist || options.dist->rank() == 0),
        model_(nullptr),
        injector_(config.guard) {}

  int64_t completed_steps() const { return state_.step; }

  TrainSummary run() {
    if (!prepare()) return finished_summary();
    const auto start = Clock::now();
    const int64_t first_step = state_.step;
    ProgressBar bar("train", total_steps_ - first_step, options_.progress ? stderr : nullptr);
    install_interrupt_handler();
    loader_->start_epoch(state_.epoch, state_.batch_in_epoch);
    sentinel_->start(state_.step, state_.nonfinite_steps, state_.lr_scale);
    interval_ = IntervalStats{};
    StepProfiler profiler(options_.profile_steps, (fs::path(options_.out) / "profile").string());
    while (state_.step < total_steps_) {
      auto batch = loader_->next();
      if (!batch) {
        loader_->start_epoch(++state_.epoch, state_.batch_in_epoch = 0);
        continue;
      }
      profiler.before_step();
      const bool stepped = step_with_retries(*batch);
      profiler.after_step();
      if (stepped) {
        bar.advance(1, fmt::format("loss {:.4f} lr {:.2e} {:.1f} img/s", sentinel_->loss(), lr_,
                                   throughput_.per_second(seconds_since(start))));
        after_step();
      }
      if (stop_requested()) {
        settled();  // the last update's weights are checked before they are saved
        if (root_) save(last_checkpoint(options_.out));
        bar.finish();
        throw Interrupted(fmt::format("interrupted at step {}; saved {}; continue with: depthguard train --out {} --resume",
                                      state_.step, last_checkpoint(options_.out), options_.out));
      }
    }
    bar.finish();
    profiler.finish();
    summary_.steps = state_.step;
    summary_.seconds = seconds_since(start);
    summary_.images_per_second = throughput_.per_second(summary_.seconds);
    summary_.best_abs_rel = state_.best_metric;
    summary_.best_step = state_.best_step;
    summary_.nonfinite_steps = state_.nonfinite_steps;
    summary_.device_reads = sentinel_->device_reads();
    summary_.transient_steps = sentinel_->transient_steps();
    summary_.spikes = sentinel_->spike_count();
    if (root_) write_summary(first_step);
    return summary_;
  }

 private:
  // False when a resumed run has no step left to do (then nothing in the run is touched).
  bool prepare() {
    // Rank 0 holds the run and alone writes to it; the other ranks of a group read from it.
    if (root_) take_run_directory();
    const auto last = last_checkpoint(options_.out);
    if (options_.resume && !fs::exists(last)) throw std::runtime_error(options_.out + ": nothing to resume (no " + last + ")");
    if (!options_.resume && fs::exists(last)) {
      throw std::runtime_error(options_.out + ": already holds a run (" + last +
                               "); pass --resume to continue it or choose another --out");
    }
    device_ = training_device(config_.train);
    join_group();
    torch::manual_seed(config_.train.seed);
    model_ = DepthModel(config_.model);
    optimizer_ = make_optimizer(config_.optimizer, *model_);
    lr_scales_ = learning_rate_scales(config_.optimizer, *model_);
    if (options_.resume) {
      state_ = load_checkpoint(last, *model_, optimizer_.get());
      refuse_nonfinite_weights(last, "resume");
      spdlog::info("resuming {} at step {} (epoch {}, batch {})", options_.out, state_.step, state_.epoch,
                   state_.batch_in_epoch);
    } else if (!options_.init.empty()) {
      initialise_weights();
      refuse_nonfinite_weights(options_.init, "initialise");
    }
    fs::create_directories(fs::path(options_.out) / "checkpoints");
    // After loading: a checkpoint's tensors come back on the CPU, in the layout they were
    // saved in.
    channels_last_ = use_channels_last(config_.train.channels_last, device_);
    to_channels_last(*model_, channels_last_);
    model_->to(device_);
    move_optimizer_state(*optimizer_, device_);
    if (uses_loss_scaling(config_.train)) {
      scaler_ = std::make_unique<LossScaler>(config_.train.loss_scaler, device_);
      if (state_.loss_scale > 0) scaler_->restore(state_.loss_scale, state_.scale_good_steps);
    }
    if (group_) {
      broadcast_module(*group_, *model_);  // one starting point, whatever each rank loaded
      reducer_ = std::make_unique<GradientReducer>(*group_, model_->parameters(), options_.dist->bucket_bytes());
    }
    spdlog::info("device {}, precision {}, layout {}{}{}", describe_device(device_),
                 choice_name(precision_choices(), config_.train.precision),
                 channels_last_ ? "channels-last" : "NCHW",
                 config_.train.channels_last ? "" : " (auto: the faster with " + (device_.is_cpu() ? describe_cpu_kernels() : device_.str()) + ")",
                 scaler_ ? fmt::format(", dynamic loss scaling from {:g}", scaler_->value()) : "");
    prepare_data();
    if (options_.resume && !steps_left()) return false;
    if (root_) open_logs();
    state_.config_yaml = YAML::Dump(config_.resolved) + "\n";
    if (root_) write_file_atomically((fs::path(options_.out) / "config.yaml").string(), state_.config_yaml);
    prepare_sentinel();
    return true;
  }

  // Weights handed to training (--init, --resume) must be finite, as predict's: from a NaN or
  // inf weight every update is an event, and no checkpoint of the run holds a good state.
  void refuse_nonfinite_weights(const std::string& file, const char* how) {
    const auto findings = parameter_findings(*model_);
    if (findings.empty()) return;
    throw std::runtime_error(fmt::format("{}: refusing to {} training from non-finite weights: {}. Nothing was trained; "
                                         "start from a checkpoint with finite weights (--init)",
                                         file, how, fmt::join(findings, "; ")));
  }

  // --init: a depthguard checkpoint's weights, or a PyTorch state dict (.pth, as
  // scripts/convert_weights.py writes from timm's, SimMIM's or MIM's weights).
  void initialise_weights() {
    if (!is_state_dict_file(options_.init)) {
      load_checkpoint(options_.init, *model_, nullptr);
      spdlog::info("initialised the weights from {}", options_.init);
      return;
    }
    const auto untouched = import_state_dict(options_.init, *model_);
    const auto total = model_->named_parameters().size();
    spdlog::info("initialised {} of {} parameter tensors from {}{}", total - untouched.size(), total, options_.init,
                 untouched.empty() ? "" : "; the others (" + untouched.front() + ", ...) keep their initialisation");
  }

  // metrics.jsonl, and TensorBoard's event files in RUN/tb/ (a new file each session).
  void open_logs() {
    metrics_ = std::make_unique<MetricsLog>((fs::path(options_.out) / "metrics.jsonl").string(),
                                            options_.resume ? state_.step : -1);
    if (!config_.train.tensorboard) return;
    tensorboard_ = std::make_unique<TensorBoardWriter>((fs::path(options_.out) / "tb").string());
    // TensorBoard drops the points logged at and after a session start's step: those a killed
    // session logged past its checkpoint, not the checkpoint step's own.
    if (options_.resume) tensorboard_->add_session_start(state_.step + 1);
  }

  // The lock first, before anything is read or written; then what a killed writer left (a
  // half checkpoint), which only takes space: this process holds the run.
  void take_run_directory() {
    lock_ = std::make_unique<DirectoryLock>(options_.out);
    for (const auto& dir : {fs::path(options_.out), fs::path(options_.out) / "checkpoints"}) {
      if (const int n = remove_stale_temporaries(dir.string())) {
        spdlog::info("{}: removed {} temporary file(s) of an interrupted write", dir.string(), n);
      }
    }
  }

  // A resumed run at its last step has nothing to do; one beyond it was given fewer steps
  // than it has already trained.
  bool steps_left() const {
    if (state_.step > total_steps_) {
      throw InvalidArgument(fmt::format("{}: the checkpoint is at step {}, beyond this run's {} steps (train.steps); "
                                        "give at least {} to extend it",
                                        options_.out, state_.step, total_steps_, state_.step + 1));
    }
    if (state_.step < total_steps_) return true;
    spdlog::info("{}: finished at step {} of {}; nothing to do (extend it with --set train.steps=N, N > {})",
                 options_.out, state_.step, total_steps_, total_steps_);
    return false;
  }

  void prepare_data() {
    train_data_ = make_dataset(config_.data);
    eval_data_ = make_dataset(config_.eval.data);
    // Batches for a GPU are made in page-locked memory, so their copies run asynchronously.
    auto loader = LoaderOptions(config_.data.loader).pin_memory(device_.is_cuda());
    if (group_) loader.rank(group_->rank()).world_size(group_->size());  // batch_size is per rank
    loader_ = std::make_unique<DataLoader>(train_data_, loader);
    const int64_t per_epoch = loader_->batches_per_epoch();
    if (device_.is_cuda() && config_.data.loader.workers() < kGpuWorkers) {
      spdlog::warn("data.workers is {}: one loader thread renders about 100 synthetic scenes or decodes about 300 "
                   "images a second, far below a GPU step; give the loader the cores (data.workers)",
                   config_.data.loader.workers());
    }
    if (train_data_->size() == 0) {
      throw std::runtime_error("the training data has no samples" +
                               (config_.data.split.empty() ? std::string() : " (" + config_.data.split + " lists none)"));
    }
    if (per_epoch == 0) {
      throw InvalidArgument(fmt::format("batch_size {} is larger than the {} training samples",
                                        config_.data.loader.batch_size(), train_data_->size()));
    }
    total_steps_ = config_.train.steps > 0 ? config_.train.steps : config_.train.epochs * per_epoch;
    spdlog::info("model {}, head {}: {:.2f} M parameters; {} training samples, {} batches per epoch, {} steps",
                 describe_model(config_.model), choice_name(head_kind_choices(), config_.model.head().kind()),
                 parameter_count(*model_) / 1e6,
                 train_data_->size(), per_epoch, total_steps_);
  }

  // The sentinel's events go to metrics.jsonl; its forensics writes a reproducer bundle
  // and report into RUN/forensics/step-N/ (replayable by `depthguard diagnose`).
  void prepare_sentinel() {
    sentinel_ = std::make_unique<Sentinel>(*model_, *optimizer_, config_.guard);
    sentinel_->on_event([this](const NonFiniteEvent& e) {
      record({{"step", e.step}, {"nonfinite", event_json(e)}});
    });
    sentinel_->investigate_with([this](const StepEvidence& evidence) { return write_bundle(evidence); });
    // A later event's replays, on a fresh model from an in-memory bundle: the reducer's
    // hooks would make a rank's replay wait for the others.
    sentinel_->rerun_with([this](const StepEvidence& evidence) -> std::optional<bool> {
      if (injector_.reproducible_at(evidence.step)) return true;  // every run of the step gets it
      return replay_reproduces(bundle_of(evidence), device_);
    });
    sentinel_->on_scale_overflow([this](const ScaleOverflow& o) {
      record({{"step", o.step}, {"loss_scale_overflow", overflow_json(o)}});
    });
    sentinel_->on_spike([this](const Spike& s) { record({{"step", s.step}, {"spike", spike_json(s)}}); });
    // One all-reduce per step: every check's flag, and the stop request and whether this
    // rank's batch had a valid pixel riding along.
    if (group_) {
      sentinel_->agree_with([this](int64_t flags_here) {
        const bool valid_here = sentinel_->along().size() > 1 && sentinel_->along()[1] > 0;
        auto flags = rank_flags(*group_, flags_here | (interrupt_requested() ? kStopFlag : 0) |
                                             (valid_here ? kGroundTruthFlag : 0));
        ground_truth_in_group_ = false;
        for (auto& f : flags) {
          stop_agreed_ = stop_agreed_ || (f & kStopFlag) != 0;
          ground_truth_in_group_ = ground_truth_in_group_ || (f & kGroundTruthFlag) != 0;
          f &= ~(kStopFlag | kGroundTruthFlag);
        }
        return flags;
      });
    }
  }

  // A step, run again with the same batch while the sentinel retries a transient event.
  bool step_with_retries(Batch& batch) {
    ++state_.batch_in_epoch;  // this batch is used up, whatever happens to the step
    for (bool retry = false;; retry = true) {
      if (step(batch, retry)) return true;
      if (!sentinel_->retrying()) return false;
    }
  }

  // One optimiser step under the NaN sentinel; false when a non-finite value dropped it. The
  // device is read once (check_step): the loss, objective, valid pixels, loss-scale
  // overflow, gradient norm and the previous update's weight check in one copy.
  bool step(Batch& batch, bool retry) {
    model_->train();
    lr_ = learning_rate(config_.schedule, config_.optimizer.lr(), state_.step, total_steps_) * sentinel_->lr_scale();
    set_learning_rate(*optimizer_, lr_, lr_scales_);
    injector_.begin_run(retry);
    batch.image = batch.image.to(device_, /*non_blocking=*/true);
    batch.depth = batch.depth.to(device_, /*non_blocking=*/true);
    current_batch_ = &batch;
    sentinel_->begin_step(batch.ids);
    const bool injected = injector_.inject(InjectSite::Image, state_.step, batch.image) |
                          injector_.inject(InjectSite::Depth, state_.step, batch.depth);
    sentinel_->expect_inputs({batch.image, batch.depth}, batch.finite && !injected);
    auto image = channels_last_ ? batch.image.contiguous(torch::MemoryFormat::ChannelsLast) : batch.image;
    if (!kernels_checked_) check_kernels_on(image, batch.depth);
    clear_gradients(*optimizer_);
    auto out = depth_loss(config_.loss, forward(image), batch.depth);
    // A loss fault: the figure the sentinel reads (a copy: the report shares the graph's
    // storage) and, out of place, the objective, whose gradients stay those of the finite loss.
    if (config_.guard.inject_site() == InjectSite::Loss) out.report = out.report.clone();
    if (injector_.inject(InjectSite::Loss, state_.step, out.report)) out.loss = out.loss - out.loss.detach() + out.report;
    (scaler_ ? scaler_->scale(out.loss) : out.loss).backward();
    if (reducer_) reducer_->finish();  // the mean gradient over the ranks
    const auto params = model_->parameters();
    const bool gradient_injected = injector_.inject(InjectSite::Gradient, state_.step, params.front().grad());
    // The reported figure (checked), the objective the optimiser minimises and the valid
    // pixels, read along.
    StepFigures figures;
    figures.loss = out.report;
    figures.along = {out.loss.detach(), out.valid_pixels};
    if (scaler_) scale_figures(figures, params, injected || gradient_injected);
    if (!sentinel_->check_step(figures, config_.optimizer.grad_clip())) return dropped();
    if (!has_ground_truth(group_ ? ground_truth_in_group_ : sentinel_->along()[1] > 0)) {
      sentinel_->drop_step();  // nothing to learn from: no update (weight decay would still move the weights)
      return false;
    }
    optimizer_->step();
    if (scaler_) scaler_->update(/*overflowed=*/false);
    injector_.inject(InjectSite::Weight, state_.step, params.front());
    if (!sentinel_->end_step(lr_)) return dropped();
    state_.step = sentinel_->step();
    interval_.loss_sum += sentinel_->loss();
    interval_.objective_sum += sentinel_->along()[0];
    ++interval_.steps;
    // Every rank's batch has this size (the loader pads the shards): images of the group.
    const int64_t images = batch.image.size(0) * (group_ ? group_->size() : 1);
    interval_.images += images;
    throughput_.images += static_cast<double>(images);
    return true;
  }

  // Loss scaling: the gradients back at their true size, and the overflow flag for the
  // sentinel to read. An overflow backs the scale off and is routine for the sentinel
  // (until it persists); a value this attempt's fault injection put there is no overflow,
  // and the gradient check reports it as the event it is. (Only this attempt's: a step
  // retried after the injected event may overflow for real.)
  void scale_figures(StepFigures& figures, const std::vector<torch::Tensor>& params, bool injected_now) {
    const auto found_inf = scaler_->unscale(params);
    if (injected_now) return;
    figures.overflowed = found_inf;
    figures.back_off = [this] {
      scaler_->update(/*overflowed=*/true);
      return scaler_->value();
    };
  }

  // Data-parallel training (a launcher set rank and world size): joins the group. On CUDA
  // each rank trains on the GPU of its local rank, and gradients travel over NCCL.
  void join_group() {
    if (!options_.dist || options_.dist->world_size() == 1) return;
    if (device_.is_cuda()) device_ = rank_device(*options_.dist);
    group_ = std::make_unique<ProcessGroup>(*options_.dist, device_);
    spdlog::info("rank {} of {} on {}; batch size {} per rank", group_->rank(), group_->size(), device_.str(),
                 config_.data.loader.batch_size());
  }

  // guard.kernel_check, once a session, on its first batch: a kernel that computes wrong stops
  // the run before it trains on wrong gradients (docs/guard.md "Kernels that compute wrong").
  void check_kernels_on(const torch::Tensor& image, const torch::Tensor& depth) {
    kernels_checked_ = true;
    if (!config_.guard.kernel_check()) return;
    const auto report = check_kernels(config_, model_, image, depth);
    if (root_) write_file_atomically((fs::path(options_.out) / "kernel-audit.txt").string(), report.text());
    // Before the NaN: the paper's vulnerable forms this run trains with, named once a session.
    for (const auto& form : report.forms) {
      spdlog::warn("vulnerable form before any NaN: {} ({}): {}; fix: {}", choice_name(nonfinite_cause_choices(), form.cause),
                   form.module, form.risk, form.fix);
    }
    if (report.clean()) {
      spdlog::info("kernel check: {} operators of the first step agree with float64 ({}; {:.1f} s)",
                   report.ops_checked, report.kernels, report.seconds);
      return;
    }
    const auto& f = report.findings.front();
    throw std::runtime_error(fmt::format(
        "kernel check: {} kernel{} of this machine compute{} wrong ({}; the report: {}); the first: {} ({}) {} "
        "gives a {} off by {:.3g} (a correct kernel: at most {:.3g}); fix: {}. Nothing was trained; "
        "guard.kernel_check: false trains anyway",
        report.findings.size(), report.findings.size() == 1 ? "" : "s", report.findings.size() == 1 ? "s" : "",
        report.kernels, (fs::path(options_.out) / "kernel-audit.txt").string(), f.op, f.direction,
        f.where.empty() ? std::string() : "in " + f.where, f.output, f.measured, f.bound, f.fix));
  }

  // Ctrl-C or SIGTERM, on any rank: every rank stops after the same step (the request
  // travels with the sentinel's consensus, which every rank asks at the same points).
  bool stop_requested() const { return group_ ? stop_agreed_ : interrupt_requested(); }

  // A line of metrics.jsonl, mirrored to TensorBoard: rank 0 writes the run's files.
  void record(const nlohmann::json& line) {
    if (metrics_) metrics_->append(line);
    if (tensorboard_) mirror_to_tensorboard(*tensorboard_, line);
  }

  // The model's prediction in the run's precision, returned in float32: the loss and its
  // reductions always run in float32.
  torch::Tensor forward(const torch::Tensor& image) {
    const auto dtype = autocast_dtype(config_.train.precision);
    if (!dtype) return model_->forward(image);
    const Autocast autocast(device_.type(), *dtype);
    return model_->forward(image).to(torch::kFloat);
  }

  // A batch without a valid pixel (on any rank) has nothing to learn from (loss 0): it is not a
  // trained step, its update is dropped and counted. Data where the first batches of a session
  // all lack one is misconfigured (wrong root, depth scale or loss.min/max_depth): stop, with
  // a non-zero exit, rather than train on nothing, however short the run.
  bool has_ground_truth(bool has_valid_pixel) {
    if (has_valid_pixel) {
      seen_ground_truth_ = true;
      return true;
    }
    if (++summary_.batches_without_ground_truth == 1 || summary_.batches_without_ground_truth % 100 == 0) {
      spdlog::warn("step {}: a batch without a valid ground-truth pixel (samples {}): not trained on, not counted "
                   "as a step ({} such batch(es) this session)",
                   state_.step + 1, fmt::join(current_batch_->ids, ", "), summary_.batches_without_ground_truth);
    }
    if (seen_ground_truth_) return false;
    const int64_t limit = std::min<int64_t>(kGroundTruthProbeBatches, loader_->batches_per_epoch());
    if (++batches_without_ground_truth_ >= limit) {
      throw std::runtime_error(fmt::format(
          "the training data (data) has no valid ground-truth pixel in the first {} batch(es) of this session: a valid "
          "depth is finite and inside (loss.min_depth, loss.max_depth]; check data.root and the depth scale",
          batches_without_ground_truth_));
    }
    return false;
  }

  // After an event the sentinel handled (skip or rollback).
  bool dropped() {
    take_sentinel_counters();
    return false;
  }

  // The sentinel's counters join the state that checkpoints and bundles save.
  void take_sentinel_counters() {
    state_.step = sentinel_->step();
    state_.nonfinite_steps = sentinel_->nonfinite_steps();
    state_.lr_scale = sentinel_->lr_scale();
  }

  // The step as a reproducer: its state, batch and configuration.
  ReproBundle bundle_of(const StepEvidence& evidence) {
    ReproBundle b;
    take_sentinel_counters();
    b.state = checkpoint_bytes(*model_, optimizer_.get(), state_);
    b.config_yaml = state_.config_yaml;
    b.image = current_batch_->image.cpu();  // a bundle replays anywhere; a precision replay moves it back
    b.depth = current_batch_->depth.cpu();
    b.samples = evidence.samples;  // a weight event's are those of the update that made them
    b.step = evidence.step;
    b.iteration = evidence.iteration;
    b.stage = choice_name(guard_stage_choices(), evidence.stage);
    b.injected = injector_.fired_at(evidence.step);
    b.history.assign(evidence.history.begin(), evidence.history.end());
    b.device = device_.str();
    b.loss_scale = scaler_ ? scaler_->value() : 0;
    b.conditions = evidence.conditions;
    return b;
  }

  // The trainer's forensics: a bundle of the step replayed on a fresh model, written before
  // the sentinel acts, so a halt or a restore loses nothing.
  Investigation write_bundle(const StepEvidence& evidence) {
    const auto b = bundle_of(evidence);
    // A rank other than 0 writes its own folder: ranks may see the same step.
    auto folder = fmt::format("step-{}", evidence.step);
    if (group_ && !root_) folder += fmt::format("-rank-{}", group_->rank());
    Investigation found{replay_bundle(b, device_), (fs::path(options_.out) / "forensics" / folder).string()};
    found.report.spikes.assign(evidence.spikes.begin(), evidence.spikes.end());
    write_forensics(found.location, b, found.report);
    return found;
  }

  void after_step() {
    const auto& t = config_.train;
    const bool end = state_.step == total_steps_;
    const bool log_now = state_.step % t.log_interval == 0 || end;
    const bool evaluate_now = (config_.eval.interval > 0 && state_.step % config_.eval.interval == 0) || end;
    const bool save_now = evaluate_now || (t.checkpoint_interval > 0 && state_.step % t.checkpoint_interval == 0);
    // Weights are logged, evaluated and saved only once checked: the check of this step's
    // update, queued on the device, is read now (on every rank: it asks the consensus).
    if ((log_now || save_now) && !settled()) return;
    if (log_now) log_interval();
    if (evaluate_now && root_) evaluate_keeping_last();
    if (evaluate_now && group_) group_->barrier();  // the other ranks wait for rank 0's evaluation
    if (save_now && root_) save(last_checkpoint(options_.out));
  }

  // The sentinel's queued weight check, read; false when it found an event (handled).
  bool settled() {
    if (sentinel_->settle()) return true;
    take_sentinel_counters();
    return false;
  }

  void log_interval() {
    const auto steps = static_cast<double>(interval_.steps);
    const double mean_loss = interval_.loss_sum / steps;
    nlohmann::json line{{"step", state_.step},
                        {"epoch", state_.epoch},
                        {"loss", mean_loss},
                        {"objective", interval_.objective_sum / steps},
                        {"lr", lr_},
                        {"grad_norm", sentinel_->grad_norm()},
                        {"weight_norm", sentinel_->weight_norm()},
                        {"images_per_s", static_cast<double>(interval_.images) / std::max(seconds_since(interval_.start), 1e-9)}};
    if (scaler_) line["loss_scale"] = scaler_->value();
    record(line);
    summary_.last_loss = mean_loss;
    interval_ = IntervalStats{};
  }

  // A failed evaluation (unreadable evaluation data) must not cost the training done since
  // the last checkpoint: save, then report the failure.
  void evaluate_keeping_last() {
    try {
      evaluate();
    } catch (...) {
      try {
        save(last_checkpoint(options_.out));
      } catch (const std::exception& e) {  // e.g. the same full disk: report the first error
        spdlog::error("could not save the last checkpoint either: {}", e.what());
      }
      throw;
    }
  }

  void evaluate() {
    const auto start = Clock::now();
    // The first eval.samples held-out samples, drawn from the evaluation's own predictions.
    std::vector<DrawnSample> drawn;
    const auto draw = [&](int64_t index, const RgbdSample& sample, const torch::Tensor& depth) {
      if (index < config_.eval.samples) drawn.push_back(draw_sample(sample, depth));
    };
    const auto average = evaluate_model(model_, *eval_data_, {config_.eval.height, config_.eval.width},
                                        config_.eval.metrics, config_.eval.data.loader.on_bad_sample(), {}, draw);
    const auto m = average.mean();
    summary_.final_eval = m;
    record({{"step", state_.step},
            {"eval", m ? metrics_json(*m) : nlohmann::json()},  // null: no valid ground truth
            {"images", average.images()},
            {"skipped", average.skipped()},
            {"unreadable", average.unreadable()}});
    if (!m) {
      spdlog::warn("step {}: eval: none of the {} evaluation images has valid ground truth; no metrics", state_.step,
                   average.skipped());
    } else {
      spdlog::info("step {}: eval abs_rel {:.4f} rmse {:.4f} d1 {:.4f} on {} images ({:.1f} s)", state_.step,
                   m->abs_rel, m->rmse, m->d1, average.images(), seconds_since(start));
    }
    show_held_out_samples(drawn);
    if (m && (state_.best_step < 0 || m->abs_rel < state_.best_metric)) {
      state_.best_metric = m->abs_rel;
      state_.best_step = state_.step;
      save(best_checkpoint(options_.out));
    }
    throughput_.eval_seconds += seconds_since(start);
    interval_.start = Clock::now();  // evaluation time is not training throughput
  }

  // The held-out samples as the model sees them now: RUN/samples/ (the HTML report's grid)
  // and TensorBoard's images.
  void show_held_out_samples(const std::vector<DrawnSample>& drawn) {
    if (drawn.empty()) return;
    write_samples((fs::path(options_.out) / "samples").string(), state_.step, drawn);
    for (size_t i = 0; tensorboard_ && i < drawn.size(); ++i) {
      add_image(*tensorboard_, fmt::format("samples/{}", i), drawn[i].picture, state_.step);
    }
  }

  // What a resumed finished run reports: its figures as they stand; nothing is written.
  TrainSummary finished_summary() const {
    TrainSummary s;
    s.steps = state_.step;
    s.already_finished = true;
    s.best_abs_rel = state_.best_metric;
    s.best_step = state_.best_step;
    s.nonfinite_steps = state_.nonfinite_steps;
    return s;
  }

  void save(const std::string& path) {
    if (scaler_) {
      state_.loss_scale = scaler_->value();
      state_.scale_good_steps = scaler_->good_steps();
    }
    save_checkpoint(path, *model_, optimizer_.get(), state_);
  }

  void write_summary(int64_t first_step) {
    nlohmann::json j{{"steps", summary_.steps},
                     {"steps_this_session", summary_.steps - first_step},
                     {"seconds", summary_.seconds},
                     {"images_per_s", summary_.images_per_second},
                     {"last_loss", summary_.last_loss},
                     {"best_step", summary_.best_step},
                     {"best_abs_rel", summary_.best_step >= 0 ? nlohmann::json(summary_.best_abs_rel) : nlohmann::json()},
                     {"nonfinite_steps", state_.nonfinite_steps},
                     {"threads", torch::get_num_threads()},
                     {"device", device_.str()},
                     {"ranks", group_ ? group_->size() : 1},
                     {"precision", choice_name(precision_choices(), config_.train.precision)},
                     {"version", build_version()}};
    j["final_eval"] = summary_.final_eval ? metrics_json(*summary_.final_eval) : nlohmann::json();
    if (scaler_) {
      j["loss_scale"] = scaler_->value();
      j["loss_scale_overflows"] = sentinel_->scale_overflows();
    }
    if (reducer_) {  // rank 0's wait for the gradient all-reduces that backward did not hide
      j["allreduce_wait_s"] = reducer_->wait_seconds();
      spdlog::info("gradient all-reduce: {:.2f} s of waiting after backward over {:.1f} s ({:.1f}%)",
                   reducer_->wait_seconds(), summary_.seconds, 100 * reducer_->wait_seconds() / summary_.seconds);
    }
    j["transient_steps"] = transient_steps();
    j["spikes"] = sentinel_->spike_count();
    j["batches_without_ground_truth"] = summary_.batches_without_ground_truth;
    if (const auto& found = sentinel_->first_investigation()) {
      j["forensics"] = {{"cause", choice_name(nonfinite_cause_choices(), found->report.cause)},
                        {"report", found->location}};
    }
    write_file_atomically((fs::path(options_.out) / "summary.json").string(), j.dump(2) + "\n");
  }

  // This session's transient events, as Megatron's tracker file keeps its skipped
  // iterations: each as its metrics.jsonl event, with its step.
  nlohmann::json transient_steps() const {
    auto steps = nlohmann::json::array();
    for (const auto& e : sentinel_->events()) {
      if (!e.transient) continue;
      auto j = event_json(e);
      j["step"] = e.step;
      steps.push_back(std::move(j));
    }
    return steps;
  }

  const TrainConfig& config_;
  const RunOptions& options_;
  const bool root_;                      ///< rank 0 (or a single process): writes the run's files
  std::unique_ptr<DirectoryLock> lock_;  ///< held for the whole run
  c10::Device device_{c10::kCPU};  ///< where the model trains (train.device)
  bool channels_last_ = false;     ///< train.channels_last resolved for device_
  bool kernels_checked_ = false;   ///< guard.kernel_check ran (or was off) this session
  DepthModel model_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::shared_ptr<RgbdDataset> train_data_, eval_data_;
  std::unique_ptr<DataLoader> loader_;
  std::unique_ptr<MetricsLog> metrics_;
  std::unique_ptr<TensorBoardWriter> tensorboard_;  ///< train.tensorboard: RUN/tb/
  std::unique_ptr<Sentinel> sentinel_;
  std::unique_ptr<ProcessGroup> group_;  ///< data-parallel training only
  std::unique_ptr<GradientReducer> reducer_;
  std::unique_ptr<LossScaler> scaler_;  ///< loss scaling (train.loss_scaling) only
  FaultInjector injector_;
  const Batch* current_batch_ = nullptr;  ///< the batch of the step being checked, for the bundle
  TrainState state_;
  TrainSummary summary_;
  int64_t total_steps_ = 0;
  double lr_ = 0;                  ///< the schedule's rate this step (layer decay scales it per group)
  std::vector<double> lr_scales_;  ///< per parameter group (optimizer.layer_decay)
  IntervalStats interval_;
  Throughput throughput_;
  bool seen_ground_truth_ = false;
  bool stop_agreed_ = false;  ///< data-parallel: some rank asked to stop (kStopFlag)
  /// The stop request's bit in the sentinel's consensus, above the stages' bits.
  static constexpr int64_t kStopFlag = int64_t{1} << 16;
  static constexpr int64_t kGroundTruthFlag = int64_t{1} << 17;
  bool ground_truth_in_group_ = false;  ///< data-parallel: some rank's batch of this step had a valid pixel
  int64_t batches_without_ground_truth_ = 0;
  static constexpr int64_t kGroundTruthProbeBatches = 50;
  static constexpr int kGpuWorkers = 4;  ///< fewer loader threads than this on a GPU: a warning
};

}  // namespace

TrainSummary train(const TrainConfig& config, const RunOptions& options) {
  TrainingRun run(config, options);
  try {
    return run.run();
  } catch (const NonFiniteHalt& halt) {
    throw NonFiniteHalt(fmt::format("{}; {}", halt.what(), last_saved_state(options.out, "good")));
  } catch (const CollectiveFailure& lost) {
    throw std::runtime_error(fmt::format("rank {} of {}: another rank died, failed or stopped answering after step {} "
                                         "(the last this rank completed); {}. c10d: {}",
                                         options.dist->rank(), options.dist->world_size(), run.completed_steps(),
                                         last_saved_state(options.out, "saved"), lost.what()));
  }
}

}  // namespace depthguard
