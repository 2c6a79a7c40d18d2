// Loader throughput with one worker thread and one intra-op thread: streamed synthetic
// scenes, and PNG / JPEG datasets on disk, at 256x320, batch 8.
#include <benchmark/benchmark.h>

#include <ATen/Parallel.h>

#include <filesystem>

#include "depthguard/data/augment_options.h"
#include "depthguard/data/data_loader.h"
#include "depthguard/data/split_file_dataset.h"
#include "depthguard/data/synth/dataset_writer.h"
#include "depthguard/data/synth/degradation_options.h"
#include "depthguard/data/synth/synth_options.h"
#include "depthguard/data/synth/synthetic_dataset.h"

namespace depthguard {
namespace {

constexpr int64_t kImages = 64;

SynthOptions bench_scenes() {
  return SynthOptions().height(256).width(320).degradation(DegradationOptions().holes(2));
}

// Images per second of whole epochs over `dataset` (crop + flip + jitter, as training).
void run_epochs(benchmark::State& state, std::shared_ptr<const RgbdDataset> dataset) {
  at::set_num_threads(1);
  const auto augment = AugmentOptions().crop_height(256).crop_width(320).brightness(0.2).contrast(0.2);
  DataLoader loader(std::move(dataset), LoaderOptions().batch_size(8).workers(1).augment(augment));
  int64_t images = 0, epoch = 0;
  for (auto _ : state) {
    loader.start_epoch(epoch++);
    while (auto batch = loader.next()) images += batch->image.size(0);
  }
  state.SetItemsProcessed(images);
}

void BM_LoaderSynthetic(benchmark::State& state) {
  run_epochs(state, std::make_shared<SyntheticDataset>(kImages, bench_scenes()));
}
BENCHMARK(BM_LoaderSynthetic)->Unit(benchmark::kMillisecond)->Iterations(2)->UseRealTime();

void BM_LoaderDisk(benchmark::State& state) {
  const std::string format = state.range(0) ? "jpg" : "png";
  const auto dir = std::filesystem::temp_directory_path() / ("depthguard_bench_" + format);
  write_synthetic_dataset(
      SynthDatasetOptions().out(dir.string()).count(kImages).test_fraction(0).format(format).scenes(bench_scenes()),
      [](int64_t) { return true; });
  run_epochs(state, std::make_shared<SplitFileDataset>(nyu_split((dir / "train.txt").string(), dir.string())));
  state.SetLabel(format);
}
BENCHMARK(BM_LoaderDisk)->ArgName("jpeg")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

}  // namespace
}  // namespace depthguard
