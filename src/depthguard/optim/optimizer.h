#pragma once
// The optimiser chosen by config.
#include <memory>

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include "depthguard/optim/optimizer_options.h"

namespace depthguard {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerOptions& options, torch::nn::Module& model);

/// Sets the learning rate of every parameter group.
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

/// Drops every parameter's gradient, as PyTorch 2's zero_grad(set_to_none=true) does (LibTorch
/// 1.13's zero_grad() fills them with zeros instead). The next backward then writes each
/// gradient rather than adding it to zeros: one pass over the parameters less per step, and
/// the same values (0 + g = g).
void clear_gradients(torch::optim::Optimizer& optimizer);

/// Moves the optimiser's state (AdamW's moments, SGD's momentum) to `device`. A
/// checkpoint's state loads on the CPU, and LibTorch's Optimizer::load, unlike PyTorch's
/// load_state_dict, does not move it to the parameters' device.
void move_optimizer_state(torch::optim::Optimizer& optimizer, const torch::Device& device);

}  // namespace depthguard
