// The cost of data parallelism's small collectives (issue 12): the sentinel's consensus
// (flagging_ranks, one per input, loss and weight check and one for the stop flag) between
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
    for (int64_t i = 0; i < rounds.item<int64_t>(); ++i) flagging_ranks(group, false);
  });
  ProcessGroup group(store, 0, 2, std::chrono::seconds(60));
  auto rounds = torch::full({1}, static_cast<int64_t>(state.max_iterations), torch::kLong);
  std::vector<torch::Tensor> tensors{rounds};
  group.broadcast(tensors);
  for (auto _ : state) benchmark::DoNotOptimize(flagging_ranks(group, false));
  other.join();
  state.SetLabel("2 ranks, Gloo on the loopback");
}
BENCHMARK(BM_FlagConsensus)->Iterations(2000)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace depthguard
