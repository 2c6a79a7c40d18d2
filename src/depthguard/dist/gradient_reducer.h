#pragma once
// Data-parallel gradient averaging, overlapped with backward: the parameters are grouped in
// buckets in reverse order (the order backward produces their gradients), and a bucket's
// all-reduce starts on a gradient hook as soon as its last gradient exists, while backward
// computes the rest. The same scheme as PyTorch DDP's Reducer, written against c10d's
// collectives directly: the Reducer's C++ constructor differs between LibTorch 1.13 and 2.x.
#include <cstdint>
#include <mutex>
#include <vector>

#include <torch/types.h>

#include "depthguard/dist/process_group.h"

namespace depthguard {

class GradientReducer {
 public:
  /// Hooks every parameter in `parameters` that requires a gradient. Buckets hold at most
  /// `bucket_bytes` of float32 gradients (a larger parameter gets a bucket of its own).
  /// The group and the parameters must outlive the reducer; every rank must hold the same
  /// parameters in the same order. TORCH_CHECKs bucket_bytes > 0.
  GradientReducer(ProcessGroup& group, std::vector<torch::Tensor> parameters, int64_t bucket_bytes);
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  /// After backward: waits for the buckets' sums and writes the mean over the ranks into
  /// each parameter's .grad. A parameter backward gave no gradient counts as zeros (the
  /// other ranks may have one). Non-finite gradients stay non-finite on every rank, so the
  /// ranks' sentinels all see them. Throws CollectiveFailure when a rank is lost.
  void finish();

  int64_t buckets() const { return static_cast<int64_t>(buckets_.size()); }
  /// Seconds finish() has waited for the reductions so far: the communication that
  /// backward did not hide.
  double wait_seconds() const { return wait_seconds_; }

 private:
  struct Bucket {
    std::vector<size_t> members;  ///< indices into parameters_
    std::vector<int64_t> offsets;  ///< of each member in `flat`
    torch::Tensor flat;            ///< the members' gradients, flattened
    size_t ready = 0;              ///< members whose gradient arrived this step
    c10::intrusive_ptr<c10d::Work> work;
  };

  void on_gradient(size_t parameter, const torch::Tensor& gradient);
  void start(Bucket& bucket);

  ProcessGroup& group_;
  std::vector<torch::Tensor> parameters_;
  std::vector<size_t> bucket_of_;  ///< per parameter
  std::vector<size_t> slot_of_;    ///< per parameter: its place among its bucket's members
  std::vector<bool> arrived_;      ///< per parameter, this step
  std::vector<Bucket> buckets_;
  std::vector<unsigned> hooks_;
  std::mutex mutex_;  ///< hooks run on the autograd engine's threads
  double wait_seconds_ = 0;
};

}  // namespace depthguard
