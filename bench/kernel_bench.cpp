// What keeping clear of wrong kernels costs (docs/training.md, "Kernel families"): the NCHW
// detour of the one convolution shape oneDNN's AVX2 kernels get wrong (oneDNN issue #6035),
// and the kernel check a run does before its first step, against one plain step of the same
// model. Run it as is for this CPU's kernels and under ONEDNN_MAX_CPU_ISA=AVX2 for the AVX2
// ones; bench/train_bench.cpp's BM_TrainStep gives the layout A/B the same way.
#include <benchmark/benchmark.h>

#include <chrono>

#include <torch/torch.h>

#include "depthguard/config/train_config.h"
#include "depthguard/losses/depth_loss.h"
#include "depthguard/models/depth_model.h"
#include "depthguard/models/onednn_safe_conv.h"
#include "depthguard/runtime/cpu_kernels.h"
#include "depthguard/train/kernel_check.h"

namespace depthguard {
namespace {

constexpr int kKernelThreads = 2;

// The downsampling shortcut of a 4-wide ResNet stage (the tests' unet) at batch 8, 256x320:
// forward and backward of the 1x1 stride-2 convolution. Arg safe 1: channels-last tensors
// through onednn_safe_conv (made NCHW for the convolution, the output back to channels-last);
// 0: the same convolution on NCHW tensors, no conversion. The difference is the detour's cost.
// (The convolution as LibTorch runs it channels-last is the wrong kernel: here it crashes, on
// the AVX-512 kernels as on the AVX2 ones.)
void BM_SafeConv(benchmark::State& state) {
  at::set_num_threads(kKernelThreads);
  const bool safe = state.range(0) != 0;
  state.SetLabel(describe_cpu_kernels() + (safe ? " onednn_safe_conv, channels-last" : " conv2d, NCHW"));
  const auto format = safe ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
  torch::manual_seed(0);
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(4, 8, 1).stride(2).bias(false));
  conv->weight.set_data(conv->weight.contiguous(format));
  const auto x = torch::randn({8, 4, 128, 160}).contiguous(format).requires_grad_();
  for (auto _ : state) {
    const auto y = onednn_safe_conv(*conv, x);  // NCHW: conv->forward(x) itself
    y.sum().backward();
  }
  state.SetItemsProcessed(state.iterations() * 8);
}
BENCHMARK(BM_SafeConv)->ArgName("safe")->Arg(0)->Arg(1)->Iterations(50)->Unit(benchmark::kMillisecond)->UseRealTime();

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// guard.kernel_check on batch 8 at 256x320, in the layout the run would take here, next to
// one plain forward, loss and backward of the same model (both after a warm-up step).
void BM_KernelCheck(benchmark::State& state) {
  at::set_num_threads(kKernelThreads);
  const auto arch = state.range(0) ? Architecture::SwinV2Mim : Architecture::ResNet18Mim;
  TrainConfig config;
  config.model.arch(arch).width(default_width(arch));
  const bool channels_last = use_channels_last(std::nullopt, torch::kCPU);
  state.SetLabel(describe_model(config.model) + (channels_last ? " channels_last " : " contiguous ") +
                 describe_cpu_kernels());
  torch::manual_seed(0);
  DepthModel model(config.model);
  to_channels_last(*model, channels_last);
  auto image = torch::randn({8, 3, 256, 320});
  if (channels_last) image = image.contiguous(torch::MemoryFormat::ChannelsLast);
  const auto depth = torch::rand({8, 1, 256, 320}) * 9 + 1;
  const auto step = [&] { depth_loss(config.loss, model->forward(image), depth).loss.backward(); };
  step();  // warm-up
  auto start = std::chrono::steady_clock::now();
  step();
  const double step_s = seconds_since(start);
  double check_s = 0;
  int64_t ops = 0;
  for (auto _ : state) {
    start = std::chrono::steady_clock::now();
    ops = check_kernels(config, model, image, depth).ops_checked;
    check_s = seconds_since(start);
  }
  state.counters["step_s"] = step_s;
  state.counters["check_s"] = check_s;
  state.counters["check_in_steps"] = check_s / step_s;
  state.counters["ops_checked"] = static_cast<double>(ops);
}
BENCHMARK(BM_KernelCheck)->ArgName("swin")->Arg(0)->Arg(1)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

}  // namespace
}  // namespace depthguard
