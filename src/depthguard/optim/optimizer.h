#pragma once
// The optimiser chosen by config.
#include <memory>
#include <vector>

#include <torch/optim/optimizer.h>

#include "depthguard/models/depth_model.h"
#include "depthguard/optim/optimizer_options.h"

namespace depthguard {

/// The optimiser of `model`'s parameters, in groups: weight decay on weights only (not on
/// biases, norms or other 1-D parameters, nor on SwinV2's position-bias MLPs and logit
/// scales, named cpb_mlp and logit_scale); with layer_decay < 1 on a model with layers
/// (DepthModel::layer_of), a pair of groups per layer.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerOptions& options, DepthModelImpl& model);

/// The learning-rate scale of each group make_optimizer(options, model) makes, in its order:
/// layer_decay^(layers - 1 - layer); all 1 without layer decay.
std::vector<double> learning_rate_scales(const OptimizerOptions& options, DepthModelImpl& model);

/// Sets the learning rate of every parameter group: `lr` times the group's scale
/// (learning_rate_scales; empty: 1 for every group). TORCH_CHECKs that a non-empty
/// `scales` has one entry per group.
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr, const std::vector<double>& scales = {});

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
