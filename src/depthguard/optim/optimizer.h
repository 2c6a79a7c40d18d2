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

}  // namespace depthguard
