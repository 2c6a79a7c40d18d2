#pragma once
// The sentinel's two exchanges over a process group that a PyTorch script made
// (torch.distributed's c10d::ProcessGroup, Gloo or NCCL): every rank's check flags at each
// check, and every rank's event text at an event (Sentinel::agree_with, share_with). The
// tensors are made and read here, never by Python: c10d's worker thread, which drops its
// last reference to a collective's tensors after the collective is done, then never needs
// the interpreter (it did with Python-made tensors, and aborted a process whose
// interpreter was exiting).
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <c10/core/Device.h>
#include <c10/util/Exception.h>
#include <c10/util/intrusive_ptr.h>

namespace c10d {
class ProcessGroup;
class Work;
}  // namespace c10d

namespace depthguard {

/// A collective that failed: another rank died, threw or stopped answering (the timeout).
class CollectiveFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Waits for `work`, rethrowing its failure as CollectiveFailure with c10d's reason.
void wait_for(const c10::intrusive_ptr<c10d::Work>& work);

/// Runs `start` (a collective's start or wait) and rethrows c10d's and the backends' errors
/// (a closed connection: gloo::IoException; the timeout: c10::Error), whether raised when a
/// collective is started or when it is waited for, as CollectiveFailure.
template <class F>
auto collective(F&& start) {
  try {
    return start();
  } catch (const c10::Error& e) {
    throw CollectiveFailure(e.what_without_backtrace());
  } catch (const CollectiveFailure&) {
    throw;
  } catch (const std::exception& e) {
    throw CollectiveFailure(e.what());
  }
}

/// Every rank's `flags` (>= 0) in rank order: one all-reduce (max) of a vector holding
/// this rank's flags in its own slot, on `device` (a CUDA device for an NCCL group).
/// TORCH_CHECKs flags >= 0; a failed collective throws CollectiveFailure.
std::vector<int64_t> exchange_flags(c10d::ProcessGroup& group, int64_t flags, c10::Device device);

/// Every rank's `text` in rank order: the lengths (one all-reduce), then the bytes padded
/// to the longest (one all-gather), on `device`. An empty text is one; a failed collective
/// throws CollectiveFailure.
std::vector<std::string> exchange_texts(c10d::ProcessGroup& group, const std::string& text, c10::Device device);

}  // namespace depthguard
