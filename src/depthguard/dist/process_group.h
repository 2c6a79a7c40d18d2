#pragma once
// One rank of a data-parallel group on PyTorch's own distributed engine (c10d): Gloo over
// TCP for CPU tensors and the host's small collectives, and NCCL for CUDA tensors in a
// build against a CUDA LibTorch (DEPTHGUARD_NCCL). The collectives the trainer needs, with
// the group's timeout.
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include <c10/core/Device.h>
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <torch/csrc/distributed/c10d/Work.hpp>
#include <torch/nn/module.h>
#include <torch/types.h>
#include <torch/version.h>

#include "depthguard/dist/dist_options.h"
#include "depthguard/guard/group_exchange.h"

namespace c10d {
#if TORCH_VERSION_MAJOR >= 2
class Backend;
#else
class ProcessGroup;
#endif
class ProcessGroupNCCL;
}

namespace depthguard {

class ProcessGroup {
 public:
  /// Joins the group `options` describes: rank 0 hosts a TCPStore on master_addr:master_port
  /// (unless options.agent_store: the launcher hosts it) and every rank connects to it;
  /// returns when all world_size ranks have joined. Throws std::runtime_error naming the
  /// address when the others do not come within timeout_s. TORCH_CHECKs rank in
  /// [0, world_size) and world_size >= 1. With a CUDA `device` (the rank's GPU) it also
  /// joins an NCCL group for CUDA tensors; a build without NCCL throws InvalidArgument
  /// saying so.
  explicit ProcessGroup(const DistOptions& options, c10::Device device = c10::kCPU);

  /// Joins through an existing store over the loopback (tests run the ranks as threads on
  /// one HashStore).
  ProcessGroup(c10::intrusive_ptr<c10d::Store> store, int64_t rank, int64_t world_size,
               std::chrono::milliseconds timeout, c10::Device device = c10::kCPU);
  ~ProcessGroup();

  int64_t rank() const { return rank_; }
  int64_t size() const { return size_; }

  /// Starts summing `tensors` (each contiguous, all on the CPU or all on the group's GPU) in
  /// place over the ranks; wait on the returned work before reading them.
  c10::intrusive_ptr<c10d::Work> sum_async(std::vector<torch::Tensor>& tensors);

  /// The element-wise maximum of CPU `tensor` over the ranks, in place (blocking).
  void max(torch::Tensor& tensor);

  /// Rank `root`'s values of `tensors` (all on the CPU or all on the group's GPU) on every
  /// rank, in place (blocking).
  void broadcast(std::vector<torch::Tensor>& tensors, int64_t root = 0);

  /// Returns when every rank has reached it.
  void barrier();

 private:
  void join(const c10::intrusive_ptr<c10d::Store>& store, std::chrono::milliseconds timeout,
            const std::string& master_addr, c10::Device tensors);

  // What c10d's ProcessGroupGloo derives from (its collectives are that class's virtuals).
#if TORCH_VERSION_MAJOR >= 2
  using GlooBase = c10d::Backend;
#else
  using GlooBase = c10d::ProcessGroup;
#endif

  int64_t rank_ = 0, size_ = 1;
  c10::intrusive_ptr<GlooBase> gloo_;  ///< a ProcessGroupGloo; holds the store it joined through
#ifdef DEPTHGUARD_NCCL
  c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl_;  ///< CUDA tensors; null for a CPU group
#endif
};

/// Whether this build reduces CUDA tensors (it was built against a CUDA LibTorch with NCCL).
bool has_nccl();

/// Whether this build has c10d's Gloo backend, which every group needs (its headers were
/// found when it was built; a pip install of the Python package may lack them).
bool has_gloo();

/// The GPU of a rank on CUDA: cuda:local_rank. Throws InvalidArgument naming LOCAL_RANK
/// when this machine has no such GPU.
c10::Device rank_device(const DistOptions& options);

/// Every rank's `flags` (>= 0), in rank order, on every rank: one all-reduce (max) of a
/// vector holding this rank's flags in its own slot. The sentinel's consensus
/// (Sentinel::agree_with), with the trainer's stop request riding along.
std::vector<int64_t> rank_flags(ProcessGroup& group, int64_t flags);

/// Rank 0's parameters and buffers of `module` on every rank: the ranks start from one model.
void broadcast_module(ProcessGroup& group, torch::nn::Module& module);

}  // namespace depthguard
