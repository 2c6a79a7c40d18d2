#pragma once
// Where this process stands in a data-parallel training group, and how the group meets.
#include <cstdint>
#include <string>

#include <torch/arg.h>

namespace depthguard {

struct DistOptions {
  TORCH_ARG(int64_t, rank) = 0;
  TORCH_ARG(int64_t, world_size) = 1;
  /// The rank's place on its machine: on CUDA, the GPU it trains on (cuda:local_rank).
  TORCH_ARG(int64_t, local_rank) = 0;
  /// Rank 0 hosts the rendezvous store (c10d's TCPStore) here; the others connect to it.
  TORCH_ARG(std::string, master_addr) = "127.0.0.1";
  TORCH_ARG(int64_t, master_port) = 29500;
  /// The launcher already hosts the store at master_addr:master_port (torchrun's agent,
  /// `train --nproc`), so rank 0 connects to it as the others do. A launcher that binds the
  /// port itself and keeps it has no window in which another process can take it.
  TORCH_ARG(bool, agent_store) = false;
  /// How long a collective (or the rendezvous) waits for the other ranks before it fails:
  /// a rank that died or hangs makes the others stop with an error, not wait forever.
  TORCH_ARG(double, timeout_s) = 300;
  /// Gradients are averaged in buckets of about this many bytes, each started as soon as
  /// backward has produced all of its gradients (PyTorch DDP's default: 25 MiB).
  TORCH_ARG(int64_t, bucket_bytes) = int64_t{25} << 20;
};

}  // namespace depthguard
