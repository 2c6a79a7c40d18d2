#pragma once
// What a sentinel watches and returns to: the parameters and buffers of a model, the
// optimiser that updates them, and an in-memory copy of the whole training state. A LibTorch
// loop gives its module and optimiser (ModuleState); the Python package gives a
// torch.nn.Module, a torch.optim.Optimizer, a GradScaler and the RNG state behind the same
// interface, so the sentinel's logic is one piece for both.
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

namespace depthguard {

using NamedTensor = std::pair<std::string, at::Tensor>;

class WatchedState {
 public:
  virtual ~WatchedState() = default;

  /// The parameters in a fixed order (their gradients are checked, norms taken over them).
  virtual std::vector<at::Tensor> parameters() = 0;
  /// Every floating buffer (BatchNorm statistics): checked with the weights, kept across a replay.
  virtual std::vector<at::Tensor> buffers() = 0;
  /// Parameters and buffers by the names their owner gives them ("head.weight"), for a report.
  virtual std::vector<NamedTensor> named_parameters() = 0;
  virtual std::vector<NamedTensor> named_buffers() = 0;
  /// Drops the update of a step that will not be applied: its gradients, and whatever the
  /// owner holds for it (a GradScaler's per-step state).
  virtual void discard_update() = 0;
  /// Copies the training state as it is now; later in-place updates cannot reach the copy.
  virtual void take_snapshot() = 0;
  /// Puts the last copy back. Throws std::logic_error when none was taken.
  virtual void restore_snapshot() = 0;
};

}  // namespace depthguard
