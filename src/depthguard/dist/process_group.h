#pragma once
// One rank of a data-parallel group on PyTorch's own distributed engine (c10d): Gloo over
// TCP for CPU tensors. The collectives the trainer needs, with the group's timeout.
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include <torch/csrc/distributed/c10d/Store.hpp>
#include <torch/csrc/distributed/c10d/Work.hpp>
#include <torch/nn/module.h>
#include <torch/types.h>

#include "depthguard/dist/dist_options.h"

namespace c10d {
class ProcessGroupGloo;
}
namespace gloo::transport {
class Device;
}

namespace depthguard {

class ProcessGroup {
 public:
  /// Joins the group `options` describes: rank 0 hosts a TCPStore on master_addr:master_port
  /// and every rank connects to it; returns when all world_size ranks have joined. Throws
  /// std::runtime_error naming the address when the others do not come within timeout_s.
  /// TORCH_CHECKs rank in [0, world_size) and world_size >= 1.
  explicit ProcessGroup(const DistOptions& options);

  /// Joins through an existing store over the loopback (tests run the ranks as threads on
  /// one HashStore).
  ProcessGroup(c10::intrusive_ptr<c10d::Store> store, int64_t rank, int64_t world_size,
               std::chrono::milliseconds timeout);
  ~ProcessGroup();

  int64_t rank() const { return rank_; }
  int64_t size() const { return size_; }

  /// Starts summing `tensors` (CPU, each contiguous) in place over the ranks; wait on the
  /// returned work before reading them.
  c10::intrusive_ptr<c10d::Work> sum_async(std::vector<torch::Tensor>& tensors);

  /// The element-wise maximum of `tensor` over the ranks, in place (blocking).
  void max(torch::Tensor& tensor);

  /// Rank `root`'s values of `tensors` on every rank, in place (blocking).
  void broadcast(std::vector<torch::Tensor>& tensors, int64_t root = 0);

  /// Returns when every rank has reached it.
  void barrier();

 private:
  void join(const c10::intrusive_ptr<c10d::Store>& store, std::chrono::milliseconds timeout,
            std::shared_ptr<::gloo::transport::Device> device);

  int64_t rank_ = 0, size_ = 1;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo_;  ///< holds the store it joined through
};

/// A collective that failed: another rank died, threw or stopped answering (the timeout).
class CollectiveFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Waits for `work`, rethrowing its failure as CollectiveFailure with c10d's reason.
void wait_for(const c10::intrusive_ptr<c10d::Work>& work);

/// Every rank's `flags` (>= 0), in rank order, on every rank: one all-reduce (max) of a
/// vector holding this rank's flags in its own slot. The sentinel's consensus
/// (Sentinel::agree_with), with the trainer's stop request riding along.
std::vector<int64_t> rank_flags(ProcessGroup& group, int64_t flags);

/// Rank 0's parameters and buffers of `module` on every rank: the ranks start from one model.
void broadcast_module(ProcessGroup& group, torch::nn::Module& module);

}  // namespace depthguard
