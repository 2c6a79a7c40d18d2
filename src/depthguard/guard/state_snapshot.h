#pragma once
// An in-memory copy of everything one optimiser step changes: parameters, buffers
// (BatchNorm statistics), the optimiser's state and LibTorch's default CPU generator. The
// sentinel returns to it on rollback.
#include <cstddef>
#include <string>

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <torch/serialize/archive.h>

namespace depthguard {

/// The archive layout of a training state, shared by snapshots and checkpoints: "model"
/// (parameters and buffers), "optimizer" (when one is given) and "generator" (LibTorch's
/// default CPU generator).
void write_training_state(torch::serialize::OutputArchive& archive, torch::nn::Module& model,
                          torch::optim::Optimizer* optimizer);

/// Reads what write_training_state wrote into `model` (same architecture) and, when given,
/// `optimizer`, and sets the generator. Throws std::runtime_error naming a tensor whose
/// stored shape differs from the model's (LibTorch's Module::load would take it silently).
void read_training_state(torch::serialize::InputArchive& archive, torch::nn::Module& model,
                         torch::optim::Optimizer* optimizer);

class StateSnapshot {
 public:
  /// Copies the state of `model` and `optimizer` as it is now. Serialised, not aliased: later
  /// in-place updates (the optimiser's moments, BatchNorm's running statistics) cannot reach it.
  void take(torch::nn::Module& model, torch::optim::Optimizer& optimizer);

  /// Puts the copied state back. Throws std::logic_error when no snapshot was taken.
  void restore(torch::nn::Module& model, torch::optim::Optimizer& optimizer) const;

  bool empty() const { return bytes_.empty(); }
  size_t size_bytes() const { return bytes_.size(); }

 private:
  std::string bytes_;
};

}  // namespace depthguard
