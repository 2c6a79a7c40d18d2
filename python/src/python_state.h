#pragma once
// The WatchedState of a Python training loop: the parameters and buffers of a torch.nn.Module
// (aliased, listed once), and the package's Sentinel object for what only Python can do with
// Python objects: copy and restore state_dict()s (model, optimizer, scheduler, GradScaler),
// the RNG states, and end a GradScaler's step.
#include <vector>

#include <pybind11/pybind11.h>

#include "depthguard/guard/watched_state.h"

namespace depthguard::python {

class PythonState : public WatchedState {
 public:
  /// The sentinel runs without the GIL (LibTorch's autograd engine refuses to run backward with
/// it held), so each call into `owner` takes it. `owner` answers _named_parameters(), _named_buffers(), _discard_update(),
  /// _take_snapshot() and _restore_snapshot(); `parameters` and `buffers` are its model's.
  PythonState(pybind11::object owner, std::vector<at::Tensor> parameters, std::vector<at::Tensor> buffers)
      : owner_(std::move(owner)), parameters_(std::move(parameters)), buffers_(std::move(buffers)) {}

  std::vector<at::Tensor> parameters() override { return parameters_; }
  std::vector<at::Tensor> buffers() override { return buffers_; }
  std::vector<NamedTensor> named_parameters() override;
  std::vector<NamedTensor> named_buffers() override;
  void discard_update() override { call("_discard_update"); }
  void take_snapshot() override { call("_take_snapshot"); }
  void restore_snapshot() override { call("_restore_snapshot"); }

 private:
  void call(const char* method);

  pybind11::object owner_;
  std::vector<at::Tensor> parameters_, buffers_;
};

}  // namespace depthguard::python
