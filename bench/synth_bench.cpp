// Synthetic scene rendering speed on one core. Target (issue 3): >= 50 images/s at 240x320.
#include <benchmark/benchmark.h>

#include "depthguard/data/synth/degradation_options.h"
#include "depthguard/data/synth/synthetic_scenes.h"

namespace depthguard {
namespace {

void BM_RenderSynthetic(benchmark::State& state) {
  const auto options = SynthOptions()
                           .height(static_cast<int>(state.range(0)))
                           .width(static_cast<int>(state.range(1)))
                           .shadows(state.range(2) != 0)
                           .degradation(DegradationOptions().holes(2));
  uint64_t index = 0;
  for (auto _ : state) benchmark::DoNotOptimize(render_synthetic(index++, options));
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("images/s = items_per_second");
}
BENCHMARK(BM_RenderSynthetic)
    ->ArgNames({"height", "width", "shadows"})
    ->Args({240, 320, 1})
    ->Args({240, 320, 0})
    ->Args({256, 320, 1})
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);

}  // namespace
}  // namespace depthguard
