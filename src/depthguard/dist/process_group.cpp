#include "depthguard/dist/process_group.h"

#include <cstdlib>
#include <stdexcept>
#include <string>

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

namespace depthguard {

namespace {

// The network interface of this rank's Gloo connections: GLOO_SOCKET_IFNAME when set (as
// PyTorch reads it), the loopback for a group on one machine, else the interface of this
// host's name.
std::shared_ptr<::gloo::transport::Device> gloo_device(const std::string& master_addr) {
  if (const char* interface = std::getenv("GLOO_SOCKET_IFNAME")) {
    return c10d::ProcessGroupGloo::createDeviceForInterface(interface);
  }
  if (master_addr == "127.0.0.1" || master_addr == "localhost") {
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  }
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

std::chrono::milliseconds milliseconds(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

}  // namespace

namespace {

// c10d's and Gloo's errors (a closed connection: gloo::IoException; the timeout:
// c10::Error), whether raised when a collective is started or when it is waited for, as
// CollectiveFailure.
template <class F>
auto collective(F&& f) {
  try {
    return f();
  } catch (const c10::Error& e) {
    throw CollectiveFailure(e.what_without_backtrace());
  } catch (const CollectiveFailure&) {
    throw;
  } catch (const std::exception& e) {
    throw CollectiveFailure(e.what());
  }
}

}  // namespace

void wait_for(const c10::intrusive_ptr<c10d::Work>& work) {
  collective([&] { return work->wait(); });
}

ProcessGroup::ProcessGroup(const DistOptions& options) : rank_(options.rank()), size_(options.world_size()) {
  TORCH_CHECK(options.world_size() >= 1, "DistOptions::world_size must be >= 1, got ", options.world_size());
  TORCH_CHECK(options.rank() >= 0 && options.rank() < options.world_size(), "DistOptions::rank must be in [0, ",
              options.world_size(), "), got ", options.rank());
  TORCH_CHECK(options.master_port() > 0 && options.master_port() < 65536,
              "DistOptions::master_port must be in [1, 65535], got ", options.master_port());
  c10d::TCPStoreOptions store;
  store.port = static_cast<std::uint16_t>(options.master_port());
  store.isServer = options.rank() == 0;
  store.numWorkers = static_cast<std::size_t>(options.world_size());
  store.timeout = milliseconds(options.timeout_s());
  const auto where = options.master_addr() + ":" + std::to_string(options.master_port());
  try {
    join(c10::make_intrusive<c10d::TCPStore>(options.master_addr(), store), milliseconds(options.timeout_s()),
         gloo_device(options.master_addr()));
  } catch (const std::exception& e) {
    throw std::runtime_error("rank " + std::to_string(options.rank()) + " of " +
                             std::to_string(options.world_size()) + " could not join the group at " + where + ": " +
                             e.what());
  }
}

ProcessGroup::ProcessGroup(c10::intrusive_ptr<c10d::Store> store, int64_t rank, int64_t world_size,
                           std::chrono::milliseconds timeout)
    : rank_(rank), size_(world_size) {
  join(store, timeout, gloo_device("127.0.0.1"));
}

ProcessGroup::~ProcessGroup() = default;

void ProcessGroup::join(const c10::intrusive_ptr<c10d::Store>& store, std::chrono::milliseconds timeout,
                        std::shared_ptr<::gloo::transport::Device> device) {
  auto options = c10d::ProcessGroupGloo::Options::create(timeout);
  options->devices.push_back(std::move(device));
  gloo_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store, static_cast<int>(rank_), static_cast<int>(size_),
                                                      options);
}

c10::intrusive_ptr<c10d::Work> ProcessGroup::sum_async(std::vector<torch::Tensor>& tensors) {
  return collective([&] { return gloo_->allreduce(tensors, c10d::AllreduceOptions{}); });
}

void ProcessGroup::max(torch::Tensor& tensor) {
  std::vector<torch::Tensor> tensors{tensor};
  c10d::AllreduceOptions options;
  options.reduceOp = c10d::ReduceOp::MAX;
  wait_for(collective([&] { return gloo_->allreduce(tensors, options); }));
}

void ProcessGroup::broadcast(std::vector<torch::Tensor>& tensors, int64_t root) {
  c10d::BroadcastOptions options;
  options.rootRank = root;
  wait_for(collective([&] { return gloo_->broadcast(tensors, options); }));
}

void ProcessGroup::barrier() {
  wait_for(collective([&] { return gloo_->barrier(c10d::BarrierOptions{}); }));
}

std::vector<int64_t> rank_flags(ProcessGroup& group, int64_t flags) {
  TORCH_CHECK(flags >= 0, "rank_flags: flags must be >= 0, got ", flags);
  auto all = torch::zeros({group.size()}, torch::kLong);
  all[group.rank()] = flags;
  group.max(all);
  const auto* seen = all.data_ptr<int64_t>();
  return {seen, seen + group.size()};
}

void broadcast_module(ProcessGroup& group, torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> tensors;
  for (const auto& p : module.parameters()) tensors.push_back(p.contiguous());
  for (const auto& b : module.buffers()) tensors.push_back(b.contiguous());
  // Gloo broadcasts each tensor; contiguous copies of channels-last weights go back after.
  for (auto& t : tensors) {
    std::vector<torch::Tensor> one{t};
    group.broadcast(one);
  }
  size_t i = 0;
  for (auto& p : module.parameters()) p.copy_(tensors[i++]);
  for (auto& b : module.buffers()) b.copy_(tensors[i++]);
}

}  // namespace depthguard
