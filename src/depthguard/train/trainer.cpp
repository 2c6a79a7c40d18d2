#include "depthguard/train/trainer.h"

#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "depthguard/data/data_loader.h"
#include "depthguard/guard/finite_check.h"
#include "depthguard/losses/depth_loss.h"
#include "depthguard/report/progress_bar.h"
#include "depthguard/runtime/atomic_file.h"
#include "depthguard/runtime/interrupt.h"
#include "depthguard/train/checkpoint.h"
#include "depthguard/train/evaluator.h"
#include "depthguard/train/forensics.h"

namespace depthguard {

namespace fs = std::filesystem;

std::string last_checkpoint(const std::string& run) { return (fs::path(run) / "checkpoints" / "last.pt").string(); }
std::string best_checkpoint(const std::string& run) { return (fs::path(run) / "checkpoints" / "best.pt").string(); }

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// A resumed run continues the log of the run it resumes: lines past the checkpoint's step
// (written after it, by a run that was then killed) are dropped.
void truncate_metrics(const std::string& path, int64_t step) {
  std::ifstream in(path);
  std::string kept, line;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.value("step", int64_t{0}) <= step) kept += line + "\n";
  }
  write_text_atomically(path, kept);
}

nlohmann::json metrics_json(const DepthMetrics& m) {
  nlohmann::json j;
  for (const auto& [name, value] : metric_fields(m)) j[name] = value;
  return j;
}

// The global L2 norm of the gradients, clipped to `max_norm` when max_norm > 0.
double clip_gradients(const std::vector<torch::Tensor>& params, double max_norm) {
  const auto grads = gradients_of(params);
  const double total = global_norm(grads);
  if (max_norm > 0 && total > max_norm) {
    torch::NoGradGuard no_grad;
    for (const auto& g : grads) g.mul_(max_norm / (total + 1e-6));
  }
  return total;
}

std::string joined(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out;
}

class TrainingRun {
 public:
  TrainingRun(const TrainConfig& config, const RunOptions& options)
      : c_(config), o_(options), model_(nullptr) {}

  TrainSummary run() {
    prepare();
    const auto start = Clock::now();
    const int64_t first_step = state_.step;
    ProgressBar bar("train", total_steps_ - first_step, o_.progress ? stderr : nullptr);
    install_interrupt_handler();
    loader_->start_epoch(state_.epoch, state_.batch_in_epoch);
    take_snapshot();
    interval_start_ = Clock::now();
    while (state_.step < total_steps_) {
      auto batch = loader_->next();
      if (!batch) {
        loader_->start_epoch(++state_.epoch, state_.batch_in_epoch = 0);
        continue;
      }
      if (step(*batch)) {
        bar.advance(1, fmt::format("loss {:.4f} lr {:.2e} {:.1f} img/s", last_loss_, lr_,
                                   images_ / std::max(seconds_since(start) - eval_seconds_, 1e-9)));
        after_step();
      }
      if (interrupt_requested()) {
        save(last_checkpoint(o_.out));
        bar.finish();
        throw Interrupted(fmt::format("interrupted at step {}; saved {}; continue with: depthguard train --out {} --resume",
                                      state_.step, last_checkpoint(o_.out), o_.out));
      }
    }
    bar.finish();
    summary_.steps = state_.step;
    summary_.seconds = seconds_since(start);
    summary_.images_per_second = images_ / std::max(summary_.seconds - eval_seconds_, 1e-9);
    summary_.best_abs_rel = state_.best_metric;
    summary_.best_step = state_.best_step;
    summary_.nonfinite_steps = state_.nonfinite_steps;
    write_summary(first_step);
    return summary_;
  }

 private:
  void prepare() {
    const auto last = last_checkpoint(o_.out);
    if (o_.resume && !fs::exists(last)) throw std::runtime_error(o_.out + ": nothing to resume (no " + last + ")");
    if (!o_.resume && fs::exists(last)) {
      throw std::runtime_error(o_.out + ": already holds a run (" + last +
                               "); pass --resume to continue it or choose another --out");
    }
    fs::create_directories(fs::path(o_.out) / "checkpoints");
    torch::manual_seed(c_.train.seed);
    model_ = DepthModel(c_.model);
    if (c_.train.channels_last) to_channels_last(*model_);
    optimizer_ = make_optimizer(c_.optimizer, *model_);
    const auto metrics_path = (fs::path(o_.out) / "metrics.jsonl").string();
    if (o_.resume) {
      state_ = load_checkpoint(last, *model_, optimizer_.get());
      truncate_metrics(metrics_path, state_.step);
      spdlog::info("resuming {} at step {} (epoch {}, batch {})", o_.out, state_.step, state_.epoch,
                   state_.batch_in_epoch);
    } else {
      fs::remove(metrics_path);
      if (!o_.init.empty()) {
        load_checkpoint(o_.init, *model_, nullptr);
        spdlog::info("initialised the weights from {}", o_.init);
      }
    }
    state_.config_yaml = YAML::Dump(c_.resolved) + "\n";
    write_text_atomically((fs::path(o_.out) / "config.yaml").string(), state_.config_yaml);
    metrics_.open(metrics_path, std::ios::app);
    if (!metrics_) throw std::runtime_error(metrics_path + ": cannot open for writing");

    train_data_ = make_dataset(c_.data);
    eval_data_ = make_dataset(c_.eval.data);
    loader_ = std::make_unique<DataLoader>(train_data_, c_.data.loader);
    const int64_t per_epoch = loader_->batches_per_epoch();
    if (per_epoch == 0) {
      throw ConfigError(fmt::format("data.batch_size: {} is larger than the {} training samples",
                                    c_.data.loader.batch_size(), train_data_->size()));
    }
    total_steps_ = c_.train.steps > 0 ? c_.train.steps : c_.train.epochs * per_epoch;
    spdlog::info("model {} (width {}, head {}): {:.2f} M parameters; {} training samples, {} batches per epoch, {} steps",
                 choice_name(architecture_choices(), c_.model.arch()), c_.model.width(),
                 choice_name(head_kind_choices(), c_.model.head().kind()), parameter_count(*model_) / 1e6,
                 train_data_->size(), per_epoch, total_steps_);
  }

  // One optimiser step under the NaN sentinel: inputs, loss, gradients and the updated
  // weights are checked; returns false when a non-finite value dropped the step.
  bool step(Batch& batch) {
    model_->train();
    lr_ = learning_rate(c_.schedule, c_.optimizer.lr(), state_.step, total_steps_) * state_.lr_scale;
    set_learning_rate(*optimizer_, lr_);
    ++state_.batch_in_epoch;  // this batch is used up, whatever happens to the step
    inject(InjectSite::Image, batch.image);
    inject(InjectSite::Depth, batch.depth);
    if (!all_finite({batch.image, batch.depth})) return nonfinite(GuardStage::Input, batch);
    auto image = c_.train.channels_last ? batch.image.contiguous(torch::MemoryFormat::ChannelsLast) : batch.image;
    optimizer_->zero_grad();
    const auto out = depth_loss(c_.loss, model_->forward(image), batch.depth);
    const double loss = out.report.item<double>();
    if (!std::isfinite(loss)) return nonfinite(GuardStage::Loss, batch);
    out.loss.backward();
    const auto params = model_->parameters();
    inject(InjectSite::Gradient, params.front().grad());
    grad_norm_ = clip_gradients(params, c_.optimizer.grad_clip());
    if (!std::isfinite(grad_norm_)) return nonfinite(GuardStage::Gradient, batch);
    optimizer_->step();
    inject(InjectSite::Weight, params.front());
    const double weight_norm = global_norm(params);
    // BatchNorm's running statistics can overflow while the weights and the loss (computed
    // with batch statistics) stay finite; eval and every checkpoint would then be broken.
    if (!std::isfinite(weight_norm) || !all_finite(model_->buffers())) return nonfinite(GuardStage::Weight, batch);
    history_.push_back({state_.step, loss, grad_norm_, weight_norm, lr_});
    if (history_.size() > kHistory) history_.pop_front();
    ++state_.step;
    consecutive_nonfinite_ = 0;
    last_loss_ = loss;
    interval_loss_ += loss;
    ++interval_steps_;
    interval_images_ += batch.image.size(0);
    images_ += static_cast<double>(batch.image.size(0));
    if (state_.step % c_.guard.snapshot_interval() == 0) take_snapshot();
    return true;
  }

  // Fault injection (guard.inject): one element of `target` becomes NaN or +inf, once.
  void inject(InjectSite site, const torch::Tensor& target) {
    const auto& g = c_.guard;
    if (g.inject_site() != site || injected_ || state_.step != g.inject_step() || !target.defined()) return;
    torch::NoGradGuard no_grad;
    target.view(-1)[0] = g.inject_value() == InjectValue::Nan ? std::numeric_limits<float>::quiet_NaN()
                                                               : std::numeric_limits<float>::infinity();
    injected_ = true;
  }

  // In-memory state the sentinel can return to (skip and rollback); only ever taken after a
  // step whose weights were checked.
  void take_snapshot() {
    if (c_.guard.policy() != GuardPolicy::Halt) snapshot_ = checkpoint_bytes(*model_, optimizer_.get(), state_);
  }

  bool nonfinite(GuardStage stage, const Batch& batch) {
    const auto& g = c_.guard;
    ++state_.nonfinite_steps;
    ++consecutive_nonfinite_;
    const auto& stage_name = choice_name(guard_stage_choices(), stage);
    const auto report = investigate(stage_name, batch);
    const bool halt = g.policy() == GuardPolicy::Halt || consecutive_nonfinite_ > g.max_skips();
    // Skip can drop an update that has not happened; a non-finite weight needs the snapshot.
    const bool restore = !halt && (g.policy() == GuardPolicy::Rollback || stage == GuardStage::Weight);
    const std::string action = halt ? "halt" : restore ? "rollback" : "skip";
    nlohmann::json event{{"stage", stage_name}, {"samples", batch.ids}, {"action", action}};
    if (report) event.update({{"cause", report->cause}, {"report", report->dir}});
    metrics_ << nlohmann::json{{"step", state_.step}, {"nonfinite", event}}.dump() << "\n" << std::flush;
    auto what = fmt::format("step {}: non-finite {} (samples {})", state_.step, stage_name, joined(batch.ids));
    if (first_report_) {
      what += fmt::format("; {}cause {}, report {}", report ? "" : "first event's ", first_report_->cause,
                          first_report_->dir);
    }
    if (halt) {
      throw NonFiniteHalt(fmt::format("{}; guard.policy {}, {} non-finite step(s) in a row; {} holds the last good state",
                                      what, choice_name(guard_policy_choices(), g.policy()), consecutive_nonfinite_,
                                      last_checkpoint(o_.out)));
    }
    optimizer_->zero_grad();
    if (restore) {
      const auto kept = state_;
      state_.step = restore_checkpoint_bytes(snapshot_, *model_, optimizer_.get()).step;
      state_.epoch = kept.epoch;
      state_.batch_in_epoch = kept.batch_in_epoch;
      state_.best_metric = kept.best_metric;
      state_.best_step = kept.best_step;
      state_.nonfinite_steps = kept.nonfinite_steps;
      state_.lr_scale = kept.lr_scale * (g.policy() == GuardPolicy::Rollback ? g.lr_factor() : 1.0);
    }
    spdlog::warn("{}: {} (learning-rate scale {})", what, action == "skip" ? "update skipped" : "rolled back to step " +
                 std::to_string(state_.step), state_.lr_scale);
    return false;
  }

  struct ReportRef {
    std::string cause, dir;
  };

  // The first non-finite step of a session: its reproducer bundle and forensics report go
  // to RUN/forensics/step-N/ before the policy acts, so a halt or a restore loses nothing.
  std::optional<ReportRef> investigate(const std::string& stage, const Batch& batch) {
    if (!c_.guard.forensics() || first_report_) return std::nullopt;
    ReproBundle b;
    b.state = checkpoint_bytes(*model_, optimizer_.get(), state_);
    b.config_yaml = state_.config_yaml;
    b.image = batch.image;
    b.depth = batch.depth;
    b.samples = batch.ids;
    b.step = state_.step;
    b.stage = stage;
    const auto& g = c_.guard;
    if (injected_ && g.inject_step() == state_.step) {
      b.injected = choice_name(inject_site_choices(), g.inject_site()) + ":" +
                   choice_name(inject_value_choices(), g.inject_value());
    }
    b.history.assign(history_.begin(), history_.end());
    const auto report = replay_bundle(b);
    const auto dir = (fs::path(o_.out) / "forensics" / fmt::format("step-{}", state_.step)).string();
    write_forensics(dir, b, report);
    spdlog::warn("forensics of step {} (bundle and report in {}):\n{}", state_.step, dir, report.text());
    first_report_ = ReportRef{choice_name(nonfinite_cause_choices(), report.cause), dir};
    return first_report_;
  }

  void after_step() {
    const auto& t = c_.train;
    const bool end = state_.step == total_steps_;
    if (state_.step % t.log_interval == 0 || end) log_interval();
    const bool evaluate_now = (c_.eval.interval > 0 && state_.step % c_.eval.interval == 0) || end;
    if (evaluate_now) evaluate();
    if (evaluate_now || (t.checkpoint_interval > 0 && state_.step % t.checkpoint_interval == 0)) {
      save(last_checkpoint(o_.out));
    }
  }

  void log_interval() {
    const double elapsed = seconds_since(interval_start_);
    nlohmann::json j{{"step", state_.step},
                     {"epoch", state_.epoch},
                     {"loss", interval_loss_ / static_cast<double>(interval_steps_)},
                     {"lr", lr_},
                     {"grad_norm", grad_norm_},
                     {"images_per_s", static_cast<double>(interval_images_) / std::max(elapsed, 1e-9)}};
    metrics_ << j.dump() << "\n" << std::flush;
    summary_.last_loss = j["loss"].get<double>();
    interval_loss_ = 0;
    interval_steps_ = interval_images_ = 0;
    interval_start_ = Clock::now();
  }

  void evaluate() {
    const auto start = Clock::now();
    const auto average = evaluate_model(model_, *eval_data_, {c_.eval.height, c_.eval.width}, c_.eval.metrics);
    const auto m = average.mean();
    summary_.final_eval = m;
    metrics_ << nlohmann::json{{"step", state_.step}, {"eval", metrics_json(m)}, {"images", average.images()},
                               {"skipped", average.skipped()}}
                    .dump()
             << "\n"
             << std::flush;
    spdlog::info("step {}: eval abs_rel {:.4f} rmse {:.4f} d1 {:.4f} on {} images ({:.1f} s)", state_.step, m.abs_rel,
                 m.rmse, m.d1, average.images(), seconds_since(start));
    if (average.images() > 0 && (state_.best_step < 0 || m.abs_rel < state_.best_metric)) {
      state_.best_metric = m.abs_rel;
      state_.best_step = state_.step;
      save(best_checkpoint(o_.out));
    }
    eval_seconds_ += seconds_since(start);
    interval_start_ = Clock::now();  // evaluation time is not training throughput
  }

  void save(const std::string& path) { save_checkpoint(path, *model_, optimizer_.get(), state_); }

  void write_summary(int64_t first_step) {
    nlohmann::json j{{"steps", summary_.steps},
                     {"steps_this_session", summary_.steps - first_step},
                     {"seconds", summary_.seconds},
                     {"images_per_s", summary_.images_per_second},
                     {"last_loss", summary_.last_loss},
                     {"best_step", summary_.best_step},
                     {"best_abs_rel", summary_.best_abs_rel},
                     {"nonfinite_steps", state_.nonfinite_steps},
                     {"threads", torch::get_num_threads()}};
    if (summary_.final_eval) j["final_eval"] = metrics_json(*summary_.final_eval);
    if (first_report_) j["forensics"] = {{"cause", first_report_->cause}, {"report", first_report_->dir}};
    write_text_atomically((fs::path(o_.out) / "summary.json").string(), j.dump(2) + "\n");
  }

  const TrainConfig& c_;
  const RunOptions& o_;
  DepthModel model_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::shared_ptr<RgbdDataset> train_data_, eval_data_;
  std::unique_ptr<DataLoader> loader_;
  std::ofstream metrics_;
  TrainState state_;
  TrainSummary summary_;
  int64_t total_steps_ = 0;
  double lr_ = 0, last_loss_ = 0, grad_norm_ = 0, interval_loss_ = 0, images_ = 0, eval_seconds_ = 0;
  int64_t interval_steps_ = 0, interval_images_ = 0, consecutive_nonfinite_ = 0;
  bool injected_ = false;
  static constexpr size_t kHistory = 50;
  std::deque<StepRecord> history_;  // the last good steps, for the forensics report
  std::optional<ReportRef> first_report_;
  std::string snapshot_;
  Clock::time_point interval_start_;
};

}  // namespace

TrainSummary train(const TrainConfig& config, const RunOptions& options) {
  return TrainingRun(config, options).run();
}

}  // namespace depthguard
