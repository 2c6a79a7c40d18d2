#include "depthguard/dist/process_group.h"

#include <cstdlib>
#include <stdexcept>
#include <string>

#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef DEPTHGUARD_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#elif TORCH_VERSION_MAJOR >= 2
#include <torch/csrc/distributed/c10d/Backend.hpp>
#else
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#endif
#ifdef DEPTHGUARD_NCCL
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "depthguard/core/errors.h"
#include "depthguard/runtime/device.h"

namespace depthguard {

namespace {

#ifdef DEPTHGUARD_GLOO
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
#endif

// Before the rendezvous: every group needs Gloo, a GPU group NCCL too.
void require_backend(const c10::Device& device) {
  if (!has_gloo()) {
    throw InvalidArgument("data-parallel training needs c10d's Gloo backend, and this build has none (Gloo's "
                          "headers were not found when it was built: cmake -DGLOO_INCLUDE_DIR=DIR, "
                          "docs/distributed.md)");
  }
  if (device.is_cuda() && !has_nccl()) {
    throw InvalidArgument("data-parallel training on " + device.str() +
                          " needs NCCL, and this build has none (it needs a CUDA LibTorch and nccl.h: cmake "
                          "-DNCCL_INCLUDE_DIR=DIR); train on the CPU (Gloo) or build with NCCL");
  }
}

// Whether `tensors` go over NCCL: a GPU's, in a group that has it.
[[maybe_unused]] bool on_gpu(const std::vector<torch::Tensor>& tensors) {
  return !tensors.empty() && tensors.front().is_cuda();
}

std::chrono::milliseconds milliseconds(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

}  // namespace

bool has_gloo() {
#ifdef DEPTHGUARD_GLOO
  return true;
#else
  return false;
#endif
}

bool has_nccl() {
#ifdef DEPTHGUARD_NCCL
  return true;
#else
  return false;
#endif
}

c10::Device rank_device(const DistOptions& options) {
  try {
    return resolve_device("cuda:" + std::to_string(options.local_rank()));
  } catch (const InvalidArgument& e) {
    throw InvalidArgument("LOCAL_RANK " + std::to_string(options.local_rank()) + " (rank " +
                          std::to_string(options.rank()) + "): " + e.what());
  }
}

ProcessGroup::ProcessGroup(const DistOptions& options, c10::Device device)
    : rank_(options.rank()), size_(options.world_size()) {
  require_backend(device);
  TORCH_CHECK(options.world_size() >= 1, "DistOptions::world_size must be >= 1, got ", options.world_size());
  TORCH_CHECK(options.rank() >= 0 && options.rank() < options.world_size(), "DistOptions::rank must be in [0, ",
              options.world_size(), "), got ", options.rank());
  TORCH_CHECK(options.master_port() > 0 && options.master_port() < 65536,
              "DistOptions::master_port must be in [1, 65535], got ", options.master_port());
  c10d::TCPStoreOptions store;
  store.port = static_cast<std::uint16_t>(options.master_port());
  store.isServer = options.rank() == 0 && !options.agent_store();
  store.numWorkers = static_cast<std::size_t>(options.world_size());
  store.timeout = milliseconds(options.timeout_s());
  const auto where = options.master_addr() + ":" + std::to_string(options.master_port());
  try {
    join(c10::make_intrusive<c10d::TCPStore>(options.master_addr(), store), milliseconds(options.timeout_s()),
         options.master_addr(), device);
  } catch (const std::exception& e) {
    throw std::runtime_error("rank " + std::to_string(options.rank()) + " of " +
                             std::to_string(options.world_size()) + " could not join the group at " + where + ": " +
                             e.what());
  }
}

ProcessGroup::ProcessGroup(c10::intrusive_ptr<c10d::Store> store, int64_t rank, int64_t world_size,
                           std::chrono::milliseconds timeout, c10::Device device)
    : rank_(rank), size_(world_size) {
  require_backend(device);
  join(store, timeout, "127.0.0.1", device);
}

ProcessGroup::~ProcessGroup() = default;

// Gloo always: the sentinel's consensus, the stop request and the barriers are host values.
// NCCL beside it for a GPU's tensors, on keys of its own in the shared store.
// Without Gloo no group gets here (require_backend).
void ProcessGroup::join(const c10::intrusive_ptr<c10d::Store>& store, std::chrono::milliseconds timeout,
                        [[maybe_unused]] const std::string& master_addr, c10::Device tensors) {
#ifdef DEPTHGUARD_GLOO
  auto options = c10d::ProcessGroupGloo::Options::create(timeout);
  options->devices.push_back(gloo_device(master_addr));
  gloo_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store, static_cast<int>(rank_), static_cast<int>(size_),
                                                      options);
#endif
  if (!tensors.is_cuda()) return;
#ifdef DEPTHGUARD_NCCL
  c10::cuda::set_device(tensors.index());  // NCCL's communicator binds to the current GPU
  auto nccl_options = c10d::ProcessGroupNCCL::Options::create();
  nccl_options->timeout = timeout;
  c10::intrusive_ptr<c10d::Store> nccl_store = c10::make_intrusive<c10d::PrefixStore>("nccl", store);
  nccl_ = c10::make_intrusive<c10d::ProcessGroupNCCL>(nccl_store, static_cast<int>(rank_), static_cast<int>(size_),
                                                      nccl_options);
#endif
}

// A GPU's tensors go over NCCL, the CPU's over Gloo.
c10::intrusive_ptr<c10d::Work> ProcessGroup::sum_async(std::vector<torch::Tensor>& tensors) {
#ifdef DEPTHGUARD_NCCL
  if (nccl_ && on_gpu(tensors)) {
    return collective([&] { return nccl_->allreduce(tensors, c10d::AllreduceOptions{}); });
  }
#endif
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
#ifdef DEPTHGUARD_NCCL
  if (nccl_ && on_gpu(tensors)) {
    wait_for(collective([&] { return nccl_->broadcast(tensors, options); }));
    return;
  }
#endif
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
