// Training and prediction speed of the models (issue: 2 intra-op threads, batch 8,
// 256x320, float32), with the convolution throughput reached against the machine's
// measured convolution peak, and the process's peak memory.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <algorithm>
#include <numeric>

#include <torch/torch.h>

#include "depthguard/config/train_config.h"
#include "depthguard/core/choice.h"
#include "depthguard/guard/finite_check.h"
#include "depthguard/guard/sentinel.h"
#include "depthguard/guard/state_snapshot.h"
#include "depthguard/guard/nonfinite_cause.h"
#include "depthguard/losses/depth_loss.h"
#include "depthguard/models/conv_flops.h"
#include "depthguard/models/depth_model.h"
#include "depthguard/models/swin_v2_encoder.h"
#include "depthguard/optim/loss_scaler.h"
#include "depthguard/optim/optimizer.h"
#include "depthguard/report/operator_profile.h"
#include "depthguard/runtime/atomic_file.h"
#include "depthguard/runtime/autocast.h"
#include "depthguard/runtime/op_profiler.h"
#include "depthguard/runtime/precision.h"
#include "depthguard/train/checkpoint.h"
#include "depthguard/train/forensics.h"
#include "depthguard/train/repro_bundle.h"

namespace depthguard {
namespace {

constexpr int kThreads = 2;
constexpr int64_t kBatch = 8, kHeight = 256, kWidth = 320;

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

torch::MemoryFormat format_of(bool channels_last) {
  return channels_last ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
}

// The best forward throughput (FLOP/s) LibTorch reaches here on the 3x3 convolutions of the
// ResNet-18 stages at this input size: the "machine's convolution peak" the step is held to.
double convolution_peak(bool channels_last) {
  static double peak[2] = {0, 0};
  double& best = peak[channels_last];
  if (best > 0) return best;
  torch::NoGradGuard no_grad;
  const int64_t stages[][2] = {{64, 4}, {128, 8}, {256, 16}, {512, 32}};  // channels, stride
  for (const auto& [channels, stride] : stages) {
    auto x = torch::randn({kBatch, channels, kHeight / stride, kWidth / stride}).contiguous(format_of(channels_last));
    auto w = torch::randn({channels, channels, 3, 3}).contiguous(format_of(channels_last));
    const double flops = convolution_flops([&] { torch::conv2d(x, w, {}, 1, 1); });
    for (int i = 0; i < 2; ++i) torch::conv2d(x, w, {}, 1, 1);  // warm-up
    const int reps = 5;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; ++i) torch::conv2d(x, w, {}, 1, 1);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, flops * reps / seconds);
  }
  return best;
}

void BM_ConvolutionPeak(benchmark::State& state) {
  at::set_num_threads(kThreads);
  for (auto _ : state) benchmark::DoNotOptimize(convolution_peak(state.range(0) != 0));
  state.counters["GFLOP/s"] = convolution_peak(state.range(0) != 0) / 1e9;
}
BENCHMARK(BM_ConvolutionPeak)->ArgName("channels_last")->Arg(0)->Arg(1)->Iterations(1)->Unit(benchmark::kSecond);

// A GPU benchmark on a machine without one: skipped, saying so.
bool skipped_without_cuda(benchmark::State& state) {
  if (torch::cuda::is_available()) return false;
  state.SkipWithError("no CUDA device");
  return true;
}

ModelOptions model_options(Architecture arch) { return ModelOptions().arch(arch).width(default_width(arch)); }

DepthModel seeded_model(const ModelOptions& options) {
  torch::manual_seed(0);
  return DepthModel(options);
}

// The batch of a step: its size and image side.
struct BatchShape {
  int64_t batch = kBatch, height = kHeight, width = kWidth;
};

// One optimiser step (forward, SILog, backward, AdamW) on a fixed batch; in bf16 or fp16, the
// forward under autocast and the loss in float32, and fp16 with dynamic loss scaling as the
// trainer runs it. On a GPU each step ends with a synchronisation, so a timed step is the
// GPU's work, not its launch.
class TrainStep {
 public:
  TrainStep(const ModelOptions& model, bool channels_last, Precision precision = Precision::Fp32,
            torch::Device device = torch::kCPU, BatchShape shape = {})
      : autocast_(autocast_dtype(precision)),
        device_(device),
        model_(seeded_model(model)),
        image_(torch::randn({shape.batch, 3, shape.height, shape.width}).contiguous(format_of(channels_last)).to(device)),
        depth_((torch::rand({shape.batch, 1, shape.height, shape.width}) * 9 + 0.5).to(device)) {
    if (channels_last) to_channels_last(*model_);
    model_->to(device);
    optimizer_ = make_optimizer(OptimizerOptions(), *model_);
    if (precision == Precision::Fp16) scaler_ = std::make_unique<LossScaler>(LossScalerOptions(), device);
    for (int i = 0; i < (device.is_cuda() ? 3 : 1); ++i) run();  // warm-up (allocations, kernel selection)
  }

  void run() {
    clear_gradients(*optimizer_);
    backward(depth_loss(loss_, forward(), depth_).loss);
    if (scaler_) scaler_->unscale(model_->parameters());
    optimizer_->step();
    if (scaler_) scaler_->update(false);
    synchronize();
  }

  // The trainer's step under the NaN sentinel (train/trainer.cpp): the batch known finite on
  // the host (the loader checks it in its workers), one device read after backward, the
  // weight check queued for the next read.
  void run(Sentinel& sentinel) {
    sentinel.begin_step();
    sentinel.expect_inputs({image_, depth_}, true);
    clear_gradients(*optimizer_);
    const auto out = depth_loss(loss_, forward(), depth_);
    backward(out.loss);
    StepFigures figures;
    figures.loss = out.report;
    figures.along = {out.loss.detach(), out.valid_pixels};
    if (scaler_) figures.overflowed = scaler_->unscale(model_->parameters());
    if (sentinel.check_step(figures)) {
      optimizer_->step();
      if (scaler_) scaler_->update(false);
      sentinel.end_step(OptimizerOptions().lr());
    }
    synchronize();
  }

  torch::nn::Module& model() { return *model_; }
  torch::optim::Optimizer& optimizer() { return *optimizer_; }

  torch::Tensor forward() {
    if (!autocast_) return model_->forward(image_);
    Autocast autocast(device_.type(), *autocast_);
    return model_->forward(image_).to(torch::kFloat);
  }

  double forward_flops() {
    return convolution_flops([&] {
      torch::NoGradGuard no_grad;
      model_->forward(image_);
    });
  }

 private:
  void backward(const torch::Tensor& loss) { (scaler_ ? scaler_->scale(loss) : loss).backward(); }
  void synchronize() const {
    if (device_.is_cuda()) torch::cuda::synchronize();
  }

  std::optional<c10::ScalarType> autocast_;
  torch::Device device_;
  DepthModel model_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::unique_ptr<LossScaler> scaler_;  ///< fp16 only
  torch::Tensor image_, depth_;
  const LossConfig loss_;
};

Architecture architecture_arg(int64_t unet) { return unet ? Architecture::ResNetUnet : Architecture::ResNet18Mim; }

void train_steps(benchmark::State& state, Architecture arch, bool channels_last, Precision precision = Precision::Fp32) {
  at::set_num_threads(kThreads);
  TrainStep step(model_options(arch), channels_last, precision);
  const double forward_flops = step.forward_flops();
  for (auto _ : state) step.run();
  const double steps = static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["GFLOP/s"] = benchmark::Counter(3 * forward_flops * steps / 1e9, benchmark::Counter::kIsRate);
  state.counters["peak_GFLOP/s"] = convolution_peak(channels_last) / 1e9;
  state.counters["fwd_GFLOP/img"] = forward_flops / kBatch / 1e9;
  state.counters["peak_RSS_MiB"] = peak_rss_mib();
}

void BM_TrainStep(benchmark::State& state) {
  const auto arch = architecture_arg(state.range(0));
  state.SetLabel(choice_name(architecture_choices(), arch) + (state.range(1) ? " channels_last" : " contiguous"));
  train_steps(state, arch, state.range(1) != 0);
}
BENCHMARK(BM_TrainStep)
    ->ArgNames({"unet", "channels_last"})
    ->Args({0, 0})
    ->Args({0, 1})
    ->Args({1, 0})
    ->Args({1, 1})
    ->Iterations(5)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The same step in mixed precision: convolutions in bfloat16 (this CPU has AVX512-BF16),
// the loss and BN statistics in float32. GFLOP/s counts the same work as the float32 step.
void BM_TrainStepBf16(benchmark::State& state) {
  const auto arch = architecture_arg(state.range(0));
  state.SetLabel(choice_name(architecture_choices(), arch) + (state.range(1) ? " channels_last" : " contiguous") +
                 " bf16 autocast");
  train_steps(state, arch, state.range(1) != 0, Precision::Bf16);
}
BENCHMARK(BM_TrainStepBf16)
    ->ArgNames({"unet", "channels_last"})
    ->Args({0, 0})
    ->Args({0, 1})
    ->Args({1, 1})
    ->Iterations(5)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The step on the first GPU: resnet18-mim, channels-last, batch 8 in float32 and batch 32
// in bf16 and fp16 autocast (fp16 with dynamic loss scaling): issue 11's comparison with
// plain PyTorch on the same GPU (bench/peer/). Skipped without CUDA.
void BM_TrainStepCuda(benchmark::State& state) {
  if (skipped_without_cuda(state)) return;
  const int64_t batch = state.range(0);
  const auto precision = static_cast<Precision>(state.range(1));
  state.SetLabel("resnet18-mim channels_last cuda:0 " + choice_name(precision_choices(), precision));
  TrainStep step(model_options(Architecture::ResNet18Mim), true, precision, torch::Device(torch::kCUDA, 0), {batch});
  for (auto _ : state) step.run();
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_TrainStepCuda)
    ->ArgNames({"batch", "precision"})  // precision: 0 fp32, 1 bf16, 2 fp16
    ->Args({8, static_cast<int64_t>(Precision::Fp32)})
    ->Args({32, static_cast<int64_t>(Precision::Bf16)})
    ->Args({32, static_cast<int64_t>(Precision::Fp16)})
    ->Iterations(20)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// MIM's own model (issue 17): swinv2-mim tiny, 256x320, batch 8, in float32 and in bf16
// autocast, on this machine's CPU (kThreads threads).
void BM_TrainStepSwin(benchmark::State& state) {
  at::set_num_threads(kThreads);
  const auto precision = static_cast<Precision>(state.range(0));
  state.SetLabel("swinv2-mim tiny " + choice_name(precision_choices(), precision));
  TrainStep step(model_options(Architecture::SwinV2Mim), false, precision);
  for (auto _ : state) step.run();
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["peak_RSS_MiB"] = peak_rss_mib();
}
BENCHMARK(BM_TrainStepSwin)
    ->ArgName("precision")  // 0 fp32, 1 bf16
    ->Arg(static_cast<int64_t>(Precision::Fp32))
    ->Arg(static_cast<int64_t>(Precision::Bf16))
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The same on the first GPU as issue 17 asks: swinv2-mim base (windows 8), 256x256, batch 24,
// bf16, next to timm's SwinV2-B with MIM's decoder in plain PyTorch (bench/peer/swin_step.py,
// scripts/gpu-check.sh runs both). Skipped without CUDA.
void BM_TrainStepCudaSwin(benchmark::State& state) {
  if (skipped_without_cuda(state)) return;
  state.SetLabel("swinv2-mim base 256x256 cuda:0 bf16");
  auto model = model_options(Architecture::SwinV2Mim);
  model.swin(swin_v2_preset(SwinSize::Base));
  TrainStep step(model, false, Precision::Bf16, torch::Device(torch::kCUDA, 0), {24, 256, 256});
  for (auto _ : state) step.run();
  state.SetItemsProcessed(state.iterations() * 24);
}
BENCHMARK(BM_TrainStepCudaSwin)->Iterations(20)->Unit(benchmark::kMillisecond)->UseRealTime();

// Where the step goes: every operator timed (OpProfiler) over the iterations; the full
// table goes to operator-profile-NAME.txt in the working directory, the top operators'
// milliseconds per step to the counters.
void profile_steps(benchmark::State& state, TrainStep& step, const std::string& name) {
  OpProfiler profiler;
  profiler.start();
  for (auto _ : state) step.run();
  profiler.stop();
  const auto operators = profiler.operators();
  const auto file = "operator-profile-" + name + ".txt";
  write_file_atomically(file, operator_table(operators, profiler.recorded_ms(), state.iterations(), 60));
  state.SetLabel(name + ", table in " + file);
  for (size_t i = 0; i < std::min<size_t>(6, operators.size()); ++i) {
    state.counters[operators[i].name] = operators[i].self_ms / static_cast<double>(state.iterations());
  }
}

void BM_TrainStepProfile(benchmark::State& state) {
  at::set_num_threads(kThreads);
  const auto arch = architecture_arg(state.range(0));
  TrainStep step(model_options(arch), state.range(1) != 0);
  profile_steps(state, step, choice_name(architecture_choices(), arch) + (state.range(1) ? "-channels_last" : ""));
}
BENCHMARK(BM_TrainStepProfile)
    ->ArgNames({"unet", "channels_last"})
    ->Args({0, 0})
    ->Args({0, 1})
    ->Args({1, 0})
    ->Args({1, 1})
    ->Iterations(3)->Unit(benchmark::kMillisecond)->UseRealTime();

// BM_TrainStepSwin's float32 step, profiled: the peer of bench/peer/swin_step.py --profile.
void BM_TrainStepSwinProfile(benchmark::State& state) {
  at::set_num_threads(kThreads);
  TrainStep step(model_options(Architecture::SwinV2Mim), false);
  profile_steps(state, step, "swinv2-mim");
}
BENCHMARK(BM_TrainStepSwinProfile)->Iterations(3)->Unit(benchmark::kMillisecond)->UseRealTime();

// Latency of one 480x640 prediction (a full NYU frame), eval mode, no gradients.
void BM_Predict480x640(benchmark::State& state) {
  at::set_num_threads(kThreads);
  const auto arch = architecture_arg(state.range(0));
  const bool channels_last = state.range(1) != 0;
  state.SetLabel(choice_name(architecture_choices(), arch) + (channels_last ? " channels_last" : " contiguous"));
  DepthModel model(ModelOptions().arch(arch).width(default_width(arch)));
  if (channels_last) to_channels_last(*model);  // as `depthguard predict` loads a channels-last run
  model->eval();
  torch::NoGradGuard no_grad;
  const auto image = torch::randn({1, 3, 480, 640});
  model->forward(image);
  for (auto _ : state) benchmark::DoNotOptimize(model->forward(image));
  state.counters["peak_RSS_MiB"] = peak_rss_mib();
}
BENCHMARK(BM_Predict480x640)
    ->ArgNames({"unet", "channels_last"})
    ->Args({0, 0})
    ->Args({0, 1})
    ->Args({1, 0})
    ->Args({1, 1})
    ->Iterations(5)->Unit(benchmark::kMillisecond)->UseRealTime();

// The NaN sentinel's added work per step on resnet18-mim: the batch's finiteness and the
// updated weights' global norm (finite exactly when every weight is; the gradient check
// reuses the gradient norm that the trainer computes for logging and clipping anyway).
// Compare with BM_TrainStep's time per step.
void BM_SentinelChecks(benchmark::State& state) {
  at::set_num_threads(kThreads);
  DepthModel model(ModelOptions().arch(Architecture::ResNet18Mim).width(64));
  const auto image = torch::randn({kBatch, 3, kHeight, kWidth});
  const auto depth = torch::rand({kBatch, 1, kHeight, kWidth});
  const auto params = model->parameters();
  for (auto _ : state) {
    benchmark::DoNotOptimize(all_finite({image, depth}));
    benchmark::DoNotOptimize(global_norm(params));
  }
}
BENCHMARK(BM_SentinelChecks)->Unit(benchmark::kMillisecond)->UseRealTime();

// The sentinel's cost as a real on/off A/B: the trainer's step with every check (one device
// read per step) and the snapshot every guard.snapshot_interval (50) steps, alternating step
// by step with the same step without them, on one model and batch (so drift in the machine's
// speed hits both alike). On the CPU: resnet18-mim batch 8 fp32; on the first GPU
// (cuda = 1, skipped without one): batch 32 bf16. Counters: mean and median milliseconds of
// each, and the mean overhead (the mean carries the snapshot's share).
// Wall time of f(), in milliseconds.
template <typename F>
double milliseconds_of(const F& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

double median_of(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

void BM_SentinelOnOff(benchmark::State& state) {
  const bool cuda = state.range(0) != 0;
  if (cuda && skipped_without_cuda(state)) return;
  at::set_num_threads(kThreads);
  const auto model = model_options(Architecture::ResNet18Mim);
  TrainStep step = cuda ? TrainStep(model, true, Precision::Bf16, torch::Device(torch::kCUDA, 0), {32})
                        : TrainStep(model, true);
  state.SetLabel(cuda ? "resnet18-mim cuda:0 batch 32 bf16" : "resnet18-mim cpu batch 8 fp32");
  Sentinel sentinel(step.model(), step.optimizer(), GuardOptions());
  sentinel.start(0);
  std::vector<double> on, off;
  for (auto _ : state) {
    for (int64_t i = 0; i < state.range(1); ++i) {
      on.push_back(milliseconds_of([&] { step.run(sentinel); }));
      off.push_back(milliseconds_of([&] {
        step.run();
        benchmark::DoNotOptimize(step.optimizer().param_groups().size());
      }));
    }
  }
  const auto mean = [](const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / v.size(); };
  state.counters["on_mean_ms"] = mean(on);
  state.counters["off_mean_ms"] = mean(off);
  state.counters["on_median_ms"] = median_of(on);
  state.counters["off_median_ms"] = median_of(off);
  state.counters["overhead_%"] = 100.0 * (mean(on) / mean(off) - 1.0);
  state.counters["reads_per_step"] = static_cast<double>(sentinel.device_reads()) / static_cast<double>(on.size());
  if (!sentinel.settle() || sentinel.nonfinite_steps() != 0) state.SkipWithError("a healthy step was flagged");
}
BENCHMARK(BM_SentinelOnOff)
    ->ArgNames({"cuda", "pairs"})
    ->Args({0, 50})
    ->Args({1, 200})
    ->Iterations(1)
    ->Unit(benchmark::kSecond)
    ->UseRealTime();

// The in-memory snapshot that skip and rollback return to (every guard.snapshot_interval
// steps): resnet18-mim weights, BN buffers and AdamW state after one step.
void BM_SentinelSnapshot(benchmark::State& state) {
  at::set_num_threads(kThreads);
  DepthModel model(ModelOptions().arch(Architecture::ResNet18Mim).width(64));
  auto optimizer = make_optimizer(OptimizerOptions(), *model);
  optimizer->zero_grad();
  model->forward(torch::randn({2, 3, 64, 64})).mean().backward();
  optimizer->step();
  StateSnapshot snapshot;
  for (auto _ : state) snapshot.take(*model, *optimizer);
  state.counters["MiB"] = static_cast<double>(snapshot.size_bytes()) / (1 << 20);
}
BENCHMARK(BM_SentinelSnapshot)->Unit(benchmark::kMillisecond)->UseRealTime();

// A reproducer of one step of a fresh model of `config` (batch 8, 256x320) at `stage`.
ReproBundle bench_bundle(const TrainConfig& config, const std::string& stage) {
  DepthModel model(config.model);
  ReproBundle bundle;
  bundle.state = checkpoint_bytes(*model, nullptr, TrainState());
  bundle.config_yaml = YAML::Dump(config.resolved);
  bundle.image = torch::randn({kBatch, 3, kHeight, kWidth});
  bundle.depth = 1 + torch::rand({kBatch, 1, kHeight, kWidth});
  bundle.stage = stage;
  bundle.device = "cpu";
  return bundle;
}

// The forensics replay of one non-finite step (once per session, never on a healthy run):
// resnet18-mim, batch 8, the naive head pushed below the sigmoid's underflow, every
// operator's output checked through forward, loss and backward.
void BM_ForensicsReplay(benchmark::State& state) {
  at::set_num_threads(kThreads);
  const auto bundle =
      bench_bundle(read_train_config(YAML::Load("model: {arch: resnet18-mim, head: naive, head_bias: -100}")), "loss");
  for (auto _ : state) {
    const auto report = replay_bundle(bundle);
    if (report.cause != NonFiniteCause::LogOfSigmoid) state.SkipWithError("the replay did not find V2");
  }
}
BENCHMARK(BM_ForensicsReplay)->Iterations(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// The replay order's cost per loss or gradient event (docs/guard.md, "Model or machine"), on
// a healthy batch: the first event's investigation (replay_bundle: a fresh model from the
// bundle, one replay on the CPU in float32 with every operator watched, cause transient) and
// a later event's rerun (replay_reproduces, the same replay). resnet18-mim and swinv2-mim
// tiny, batch 8, 256x320.
void BM_ReplayOrder(benchmark::State& state) {
  at::set_num_threads(kThreads);
  const auto arch = state.range(0) != 0 ? Architecture::SwinV2Mim : Architecture::ResNet18Mim;
  auto root = YAML::Load("model: {arch: " + choice_name(architecture_choices(), arch) + "}");
  if (arch != Architecture::SwinV2Mim) root["model"]["width"] = default_width(arch);  // swin: its tiny preset
  const auto config = read_train_config(root);
  state.SetLabel(describe_model(config.model) + ", batch 8, 256x320");
  const auto bundle = bench_bundle(config, "gradient");
  std::vector<double> investigation, rerun;
  for (auto _ : state) {
    investigation.push_back(milliseconds_of([&] {
      if (replay_bundle(bundle).cause != NonFiniteCause::Transient) state.SkipWithError("not transient");
    }));
    rerun.push_back(milliseconds_of([&] {
      if (replay_reproduces(bundle, c10::kCPU) != std::optional<bool>(false)) state.SkipWithError("reproduced");
    }));
  }
  state.counters["investigation_ms"] = median_of(investigation);
  state.counters["rerun_ms"] = median_of(rerun);
}
BENCHMARK(BM_ReplayOrder)->ArgName("swin")->Arg(0)->Arg(1)->Iterations(3)->Unit(benchmark::kSecond)->UseRealTime();

// Spike warnings' cost: the trainer's step under a sentinel with the default spike warnings
// against the same step under one with spike_ratio 0, alternating step by step on one model (what the warnings
// add is host arithmetic on figures the step has read anyway).
void BM_SpikeWarningsOnOff(benchmark::State& state) {
  at::set_num_threads(kThreads);
  TrainStep step(model_options(Architecture::ResNet18Mim), true);
  state.SetLabel("resnet18-mim cpu batch 8 fp32");
  Sentinel warned(step.model(), step.optimizer(), GuardOptions());
  Sentinel quiet(step.model(), step.optimizer(), GuardOptions().spike_ratio(0));
  warned.start(0);
  quiet.start(0);
  std::vector<double> on, off;
  for (auto _ : state) {
    for (int64_t i = 0; i < state.range(0); ++i) {
      on.push_back(milliseconds_of([&] { step.run(warned); }));
      off.push_back(milliseconds_of([&] { step.run(quiet); }));
    }
  }
  state.counters["on_median_ms"] = median_of(on);
  state.counters["off_median_ms"] = median_of(off);
  state.counters["overhead_%"] = 100.0 * (median_of(on) / median_of(off) - 1.0);
}
BENCHMARK(BM_SpikeWarningsOnOff)->ArgName("pairs")->Arg(30)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

// What one healthy step's warnings cost alone: two estimates updated, no spike.
void BM_SpikeDetectorAdd(benchmark::State& state) {
  const GuardOptions o;  // the defaults: a median and a MAD over 50 values per add
  SpikeDetector loss("loss", o.spike_ratio(), o.spike_mads(), o.spike_window(), o.spike_warmup());
  SpikeDetector grad_norm("grad_norm", o.spike_ratio(), o.spike_mads(), o.spike_window(), o.spike_warmup());
  int64_t step = 0;
  for (auto _ : state) {
    const double jitter = 0.01 * static_cast<double>(step % 7);
    benchmark::DoNotOptimize(loss.add(step, 1.0 + jitter));
    benchmark::DoNotOptimize(grad_norm.add(step, 2.0 + jitter));
    ++step;
  }
}
BENCHMARK(BM_SpikeDetectorAdd);

}  // namespace
}  // namespace depthguard
