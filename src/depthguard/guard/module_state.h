#pragma once
// The WatchedState of a LibTorch loop: a torch::nn::Module and its torch::optim::Optimizer,
// with StateSnapshot's serialised copies (parameters, buffers, optimiser state, LibTorch's
// default CPU generator).
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include "depthguard/guard/state_snapshot.h"
#include "depthguard/guard/watched_state.h"

namespace depthguard {

/// A module's named_parameters() or named_buffers() as WatchedState lists them.
std::vector<NamedTensor> named_tensors(const torch::OrderedDict<std::string, at::Tensor>& tensors);

class ModuleState : public WatchedState {
 public:
  /// Both must outlive this object.
  ModuleState(torch::nn::Module& model, torch::optim::Optimizer& optimizer) : model_(model), optimizer_(optimizer) {}

  std::vector<at::Tensor> parameters() override { return model_.parameters(); }
  std::vector<at::Tensor> buffers() override { return model_.buffers(); }
  std::vector<NamedTensor> named_parameters() override { return named_tensors(model_.named_parameters()); }
  std::vector<NamedTensor> named_buffers() override { return named_tensors(model_.named_buffers()); }
  void discard_update() override { optimizer_.zero_grad(); }
  void take_snapshot() override { snapshot_.take(model_, optimizer_); }
  void restore_snapshot() override { snapshot_.restore(model_, optimizer_); }

 private:
  torch::nn::Module& model_;
  torch::optim::Optimizer& optimizer_;
  StateSnapshot snapshot_;
};

}  // namespace depthguard
