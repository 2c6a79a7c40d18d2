// Two ranks as two threads of this process, on one in-memory store and the loopback.
#include "depthguard/dist/gradient_reducer.h"

#include <exception>
#include <thread>

#include <gtest/gtest.h>
#include <torch/csrc/distributed/c10d/HashStore.hpp>
#include <torch/torch.h>

#include "depthguard/core/errors.h"
#include "depthguard/dist/process_group.h"
#include "depthguard/guard/sentinel.h"
#include "test_support.h"

namespace depthguard {
namespace {

// Runs `body(group)` on `ranks` threads, one rank each; rethrows the first failure.
template <class F>
void on_ranks(int64_t ranks, F body) {
  const auto store = c10::make_intrusive<c10d::HashStore>();
  std::vector<std::exception_ptr> failures(static_cast<size_t>(ranks));
  std::vector<std::thread> threads;
  for (int64_t r = 0; r < ranks; ++r) {
    threads.emplace_back([&, r] {
      try {
        ProcessGroup group(store, r, ranks, std::chrono::seconds(20));
        body(group);
      } catch (...) {
        failures[static_cast<size_t>(r)] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& f : failures) {
    if (f) std::rethrow_exception(f);
  }
}

// No batch statistics: the mean loss over 8 samples is the mean of two halves' means.
torch::nn::Sequential small_net() {
  namespace nn = torch::nn;
  return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(3, 8, 3).padding(1)), nn::ReLU(),
                        nn::Conv2d(nn::Conv2dOptions(8, 1, 3).padding(1)));
}

std::vector<torch::Tensor> gradients(torch::nn::Module& net) {
  std::vector<torch::Tensor> out;
  for (const auto& p : net.parameters()) out.push_back(p.grad().clone());
  return out;
}

TEST(GradientReducer, TwoRanksOfFourSamplesGiveTheGradientsOfOneProcessOfEight) {
  torch::manual_seed(0);
  const auto x = torch::randn({8, 3, 8, 8}), y = torch::randn({8, 1, 8, 8});
  auto reference = small_net();
  torch::mse_loss(reference->forward(x), y).backward();
  const auto expected = gradients(*reference);
  // The same weights on both ranks; buckets of 600 bytes split the 8-channel weights apart.
  std::vector<std::shared_ptr<torch::nn::Module>> nets{reference->clone(), reference->clone()};
  std::vector<std::vector<torch::Tensor>> got(2);
  on_ranks(2, [&](ProcessGroup& group) {
    auto& net = *std::dynamic_pointer_cast<torch::nn::SequentialImpl>(nets[static_cast<size_t>(group.rank())]);
    for (auto& p : net.parameters()) p.mutable_grad().reset();
    GradientReducer reducer(group, net.parameters(), 600);
    EXPECT_GT(reducer.buckets(), 1);
    const auto half = [&](const torch::Tensor& t) { return t.narrow(0, 4 * group.rank(), 4); };
    torch::mse_loss(net.forward(half(x)), half(y)).backward();
    reducer.finish();
    got[static_cast<size_t>(group.rank())] = gradients(net);
  });
  for (size_t r = 0; r < 2; ++r) {
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_TRUE(torch::allclose(got[r][i], expected[i], 1e-5, 1e-6)) << "rank " << r << " parameter " << i;
    }
  }
}

// A NaN on one rank reaches every rank's averaged gradient: all ranks' sentinels see it.
TEST(GradientReducer, ANonFiniteGradientOnOneRankIsNonFiniteOnEveryRank) {
  auto base = small_net();
  std::vector<std::shared_ptr<torch::nn::Module>> nets{base->clone(), base->clone()};
  std::vector<bool> finite(2);
  on_ranks(2, [&](ProcessGroup& group) {
    auto& net = *std::dynamic_pointer_cast<torch::nn::SequentialImpl>(nets[static_cast<size_t>(group.rank())]);
    GradientReducer reducer(group, net.parameters(), 1 << 20);
    auto x = torch::randn({2, 3, 8, 8});
    if (group.rank() == 1) x[0][0][0][0] = testing::kNaN;
    net.forward(x).sum().backward();
    reducer.finish();
    bool all = true;
    for (const auto& p : net.parameters()) all = all && testing::all_finite(p.grad());
    finite[static_cast<size_t>(group.rank())] = all;
  });
  EXPECT_FALSE(finite[0]);
  EXPECT_FALSE(finite[1]);
}

// A parameter backward does not reach on a step still gets a (zero-mean) gradient, and the
// other buckets are not held up waiting for it.
TEST(GradientReducer, AnUnusedParameterCountsAsZeros) {
  on_ranks(2, [&](ProcessGroup& group) {
    torch::nn::Linear used(3, 2), unused(3, 2);
    std::vector<torch::Tensor> parameters = used->parameters();
    for (const auto& p : unused->parameters()) parameters.push_back(p);
    GradientReducer reducer(group, parameters, 16);
    used->forward(torch::ones({1, 3})).sum().backward();
    reducer.finish();
    EXPECT_TRUE(torch::equal(unused->weight.grad(), torch::zeros({2, 3})));
  });
}

TEST(ProcessGroup, BroadcastModuleGivesEveryRankRankZerosWeights) {
  std::vector<torch::nn::Sequential> nets{small_net(), small_net()};  // two different inits
  ASSERT_FALSE(torch::equal(nets[0]->parameters()[0], nets[1]->parameters()[0]));
  on_ranks(2, [&](ProcessGroup& group) { broadcast_module(group, *nets[static_cast<size_t>(group.rank())]); });
  for (size_t i = 0; i < nets[0]->parameters().size(); ++i) {
    EXPECT_TRUE(torch::equal(nets[0]->parameters()[i], nets[1]->parameters()[i])) << i;
  }
}

TEST(ProcessGroup, MaxAndBarrierAcrossRanks) {
  std::vector<float> seen(3);
  on_ranks(3, [&](ProcessGroup& group) {
    auto flag = torch::tensor({static_cast<float>(group.rank() == 1), static_cast<float>(group.rank())});
    group.max(flag);
    group.barrier();
    seen[static_cast<size_t>(group.rank())] = flag[0].item<float>() + flag[1].item<float>();
  });
  EXPECT_EQ(seen, std::vector<float>({3, 3, 3}));
}

// A NaN batch on rank 1 only: both ranks skip the same step (no rank waits in a collective
// for one that skipped), the events name rank 1, and only rank 1 investigates it.
TEST(SentinelConsensus, EveryRankSkipsTheStepOneRankFoundNonFinite) {
  std::vector<std::shared_ptr<torch::nn::Module>> nets{small_net()->clone(), small_net()->clone()};
  std::vector<std::vector<int64_t>> ranks(2);
  std::vector<bool> passed(2), investigated(2);
  on_ranks(2, [&](ProcessGroup& group) {
    auto& net = *nets[static_cast<size_t>(group.rank())];
    torch::optim::SGD optimizer(net.parameters(), 0.1);
    Sentinel sentinel(net, optimizer, GuardOptions().policy(GuardPolicy::Skip));
    sentinel.agree_with([&](int64_t flags) { return rank_flags(group, flags); });
    sentinel.start(0);
    sentinel.begin_step({"sample-" + std::to_string(group.rank())});
    auto x = torch::ones({1, 3, 4, 4});
    if (group.rank() == 1) x[0][0][0][0] = testing::kNaN;
    const auto r = static_cast<size_t>(group.rank());
    passed[r] = sentinel.check_inputs({x});
    ranks[r] = sentinel.events().at(0).ranks;
    investigated[r] = sentinel.first_investigation().has_value();
    sentinel.begin_step({"sample-next"});
    EXPECT_TRUE(sentinel.check_loss(1.0));  // the next step's check agrees again: all finite
  });
  EXPECT_EQ(passed, std::vector<bool>({false, false}));
  EXPECT_EQ(ranks[0], std::vector<int64_t>({1}));
  EXPECT_EQ(ranks[1], std::vector<int64_t>({1}));
  EXPECT_EQ(investigated, std::vector<bool>({false, true}));
}

// The trainer's step (check_step): a NaN batch on rank 1 runs forward and backward with the
// others (the gradient all-reduce needs every rank), then one consensus per step makes both
// skip it; rank 1's BatchNorm statistics are put back, and both go on in lockstep.
TEST(SentinelConsensus, OneConsensusPerStepAndEveryRankSkipsARanksNonFiniteBatch) {
  torch::manual_seed(0);
  const auto base = torch::nn::Sequential(torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 2, 3).padding(1)),
                                          torch::nn::BatchNorm2d(2));
  std::vector<std::shared_ptr<torch::nn::Module>> nets{base->clone(), base->clone()};
  std::vector<int64_t> asked(2), steps(2);
  std::vector<std::vector<NonFiniteEvent>> events(2);
  std::vector<bool> statistics_kept(2);
  on_ranks(2, [&](ProcessGroup& group) {
    const auto r = static_cast<size_t>(group.rank());
    auto& net = *std::dynamic_pointer_cast<torch::nn::SequentialImpl>(nets[r]);
    torch::optim::SGD optimizer(net.parameters(), 0.1);
    Sentinel sentinel(net, optimizer, GuardOptions().policy(GuardPolicy::Skip).forensics(false));
    sentinel.agree_with([&](int64_t flags) {
      ++asked[r];
      return rank_flags(group, flags);
    });
    GradientReducer reducer(group, net.parameters(), 1 << 20);
    sentinel.start(0);
    for (int step = 0; step < 3; ++step) {
      auto x = torch::randn({2, 3, 4, 4});
      const bool poisoned = step == 1 && group.rank() == 1;
      if (poisoned) x[0][0][0][0] = testing::kNaN;
      sentinel.begin_step({"sample-" + std::to_string(group.rank())});
      sentinel.expect_inputs({x}, !poisoned);
      const auto mean_before = net[1]->named_buffers()["running_mean"].clone();
      optimizer.zero_grad();
      const auto loss = net.forward(x).square().mean();
      loss.backward();
      reducer.finish();
      StepFigures figures;
      figures.loss = loss.detach();
      if (sentinel.check_step(figures)) {
        optimizer.step();
        sentinel.end_step(0.1);
      } else if (poisoned) {
        statistics_kept[r] = torch::equal(mean_before, net[1]->named_buffers()["running_mean"]);
      }
    }
    EXPECT_TRUE(sentinel.settle());
    steps[r] = sentinel.step();
    events[r] = sentinel.events();
  });
  EXPECT_EQ(asked, std::vector<int64_t>({4, 4}));  // one per step, and one for the last settle
  EXPECT_EQ(steps, std::vector<int64_t>({2, 2}));
  for (size_t r = 0; r < 2; ++r) {
    ASSERT_EQ(events[r].size(), 1u) << r;
    EXPECT_EQ(events[r][0].step, 1);
    EXPECT_EQ(events[r][0].stage, GuardStage::Input);
    EXPECT_EQ(events[r][0].ranks, std::vector<int64_t>({1}));
  }
  EXPECT_TRUE(statistics_kept[1]);
  EXPECT_TRUE(torch::equal(nets[0]->parameters()[0], nets[1]->parameters()[0]));  // in lockstep
}

TEST(ProcessGroup, AGpuGroupNeedsABuildWithNccl) {
  if (has_nccl()) GTEST_SKIP() << "this build has NCCL";
  const auto message = testing::error_message<InvalidArgument>([] {
    ProcessGroup(c10::make_intrusive<c10d::HashStore>(), 0, 1, std::chrono::seconds(5), torch::Device(torch::kCUDA, 0));
  });
  EXPECT_NE(message.find("data-parallel training on cuda:0 needs NCCL"), std::string::npos) << message;
}

// NCCL at world size 1 on the first GPU (skipped without one, or in a build without NCCL):
// the module broadcast and the gradient buckets over NCCL, the host consensus over Gloo.
TEST(ProcessGroup, NcclAveragesCudaGradientsAtWorldSizeOne) {
  if (!torch::cuda::is_available() || !has_nccl()) GTEST_SKIP() << "needs a GPU and a build with NCCL";
  const torch::Device gpu(torch::kCUDA, 0);
  ProcessGroup group(c10::make_intrusive<c10d::HashStore>(), 0, 1, std::chrono::seconds(30), gpu);
  torch::manual_seed(0);
  auto net = small_net();
  net->to(gpu);
  auto reference = std::dynamic_pointer_cast<torch::nn::SequentialImpl>(net->clone());
  broadcast_module(group, *net);
  GradientReducer reducer(group, net->parameters(), 600);
  const auto x = torch::randn({2, 3, 8, 8}, gpu);
  net->forward(x).mean().backward();
  reducer.finish();
  reference->forward(x).mean().backward();
  const auto expected = gradients(*reference), got = gradients(*net);
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_TRUE(torch::allclose(got[i], expected[i])) << i;
  EXPECT_EQ(rank_flags(group, 5), std::vector<int64_t>({5}));
}

}  // namespace
}  // namespace depthguard
