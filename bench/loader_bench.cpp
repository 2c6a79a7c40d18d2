// Loader throughput with one worker thread and with one per core (one intra-op thread):
// streamed synthetic scenes, and PNG / JPEG datasets on disk, at 256x320, batch 8. On a GPU
// machine the per-core figure is what a GPU step's images/s must stay below
// (scripts/gpu-check.sh runs both).
#include <benchmark/benchmark.h>

#include <ATen/Parallel.h>

#include <filesystem>
#include <thread>

#include "depthguard/data/augment_options.h"
#include "depthguard/data/data_loader.h"
#include "depthguard/data/split_file_dataset.h"
#include "depthguard/data/synth/dataset_writer.h"
#include "depthguard/data/synth/degradation_options.h"
#include "depthguard/data/synth/synth_options.h"
#include "depthguard/data/synth/synthetic_dataset.h"

namespace depthguard {
namespace {

constexpr int64_t kImages = 64;  // per worker for the synthetic scenes (each worker busy for 8 batches)
constexpr int64_t kDiskImages = 256;  // 32 batches: written once per run of the benchmark

SynthOptions bench_scenes() {
  return SynthOptions().height(256).width(320).degradation(DegradationOptions().holes(2));
}

// Images per second of whole epochs over `dataset` (crop + flip + jitter, as training).
void run_epochs(benchmark::State& state, std::shared_ptr<const RgbdDataset> dataset, int64_t workers) {
  at::set_num_threads(1);
  const auto augment = AugmentOptions().crop_height(256).crop_width(320).brightness(0.2).contrast(0.2);
  DataLoader loader(std::move(dataset), LoaderOptions().batch_size(8).workers(workers).augment(augment));
  int64_t images = 0, epoch = 0;
  for (auto _ : state) {
    loader.start_epoch(epoch++);
    while (auto batch = loader.next()) images += batch->image.size(0);
  }
  state.SetItemsProcessed(images);
  state.counters["workers"] = static_cast<double>(workers);
}

// One worker, and one per core where there is more than one.
void worker_counts(benchmark::internal::Benchmark* b, std::vector<int64_t> leading = {}) {
  const auto cores = static_cast<int64_t>(std::max(1u, std::thread::hardware_concurrency()));
  for (const int64_t workers : {int64_t{1}, cores}) {
    auto args = leading;
    args.push_back(workers);
    b->Args(args);
    if (cores == 1) break;
  }
}

void BM_LoaderSynthetic(benchmark::State& state) {
  run_epochs(state, std::make_shared<SyntheticDataset>(kImages * state.range(0), bench_scenes()), state.range(0));
}
BENCHMARK(BM_LoaderSynthetic)
    ->ArgName("workers")
    ->Apply([](benchmark::internal::Benchmark* b) { worker_counts(b); })
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2)
    ->UseRealTime();

void BM_LoaderDisk(benchmark::State& state) {
  const std::string format = state.range(0) ? "jpg" : "png";
  const auto dir = std::filesystem::temp_directory_path() / ("depthguard_bench_" + format + "_" + std::to_string(kDiskImages));
  write_synthetic_dataset(
      SynthDatasetOptions().out(dir.string()).count(kDiskImages).test_fraction(0).format(format).scenes(bench_scenes()),
      [](int64_t) { return true; });
  run_epochs(state, std::make_shared<SplitFileDataset>(nyu_split((dir / "train.txt").string(), dir.string())),
             state.range(1));
  state.SetLabel(format);
}
BENCHMARK(BM_LoaderDisk)
    ->ArgNames({"jpeg", "workers"})
    ->Apply([](benchmark::internal::Benchmark* b) {
      worker_counts(b, {0});
      worker_counts(b, {1});
    })
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->UseRealTime();

}  // namespace
}  // namespace depthguard
