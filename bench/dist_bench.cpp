// The cost of data parallelism's small collectives (issue 12): the sentinel's consensus
// (rank_flags, one per step: every check's flag and the stop request in one all-reduce) between
// two ranks on the loopback, here as two threads of this process over Gloo.
#include <benchmark/benchmark.h>

#include <thread>

#include <torch/csrc/distributed/c10d/HashStore.hpp>

#include "depthguard/dist/process_group.h"

namespace depthguard {
namespace {

void BM_FlagConsensus(benchmark::State& state) {
  const auto store = c10::make_intrusive<c10d::HashStore>();
  std::thread other([&] {
    ProcessGroup group(store, 1, 2, std::chrono::seconds(60));
    // Rank 1 answers as many consensus rounds as rank 0 asks for (the count comes first).
    auto rounds = torch::zeros({1}, torch::kLong);
    std::vector<torch::Tensor> tensors{rounds};
    group.broadcast(tensors);
    for (int64_t i = 0; i < rounds.item<int64_t>(); ++i) rank_flags(group, 0);
  });
  ProcessGroup group(store, 0, 2, std::chrono::seconds(60));
  auto rounds = torch::full({1}, static_cast<int64_t>(state.max_iterations), torch::kLong);
  std::vector<torch::Tensor> tensors{rounds};
  group.broadcast(tensors);
  for (auto _ : state) benchmark::DoNotOptimize(rank_flags(group, 0));
  other.join();
  state.SetLabel("2 ranks, Gloo on the loopback");
}
BENCHMARK(BM_FlagConsensus)->Iterations(2000)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace depthguard
