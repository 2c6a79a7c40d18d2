#include "depthguard/optim/optimizer.h"

#include <torch/torch.h>

namespace depthguard {

const ChoiceTable<OptimizerKind>& optimizer_kind_choices() {
  static const ChoiceTable<OptimizerKind> table{{"adamw", OptimizerKind::AdamW}, {"sgd", OptimizerKind::Sgd}};
  return table;
}

namespace {

template <class Options>
std::vector<torch::optim::OptimizerParamGroup> decay_groups(torch::nn::Module& model, const Options& decayed) {
  std::vector<torch::Tensor> weights, others;
  for (auto& p : model.parameters()) (p.dim() > 1 ? weights : others).push_back(p);
  auto plain = std::make_unique<Options>(decayed);
  plain->weight_decay(0.0);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(weights, std::make_unique<Options>(decayed));
  groups.emplace_back(others, std::move(plain));
  return groups;
}

}  // namespace

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerOptions& o, torch::nn::Module& model) {
  if (o.kind() == OptimizerKind::Sgd) {
    const auto sgd = torch::optim::SGDOptions(o.lr()).momentum(o.momentum()).nesterov(o.nesterov()).weight_decay(
        o.weight_decay());
    return std::make_unique<torch::optim::SGD>(decay_groups(model, sgd), sgd);
  }
  const auto adamw = torch::optim::AdamWOptions(o.lr())
                         .betas(std::make_tuple(o.beta1(), o.beta2()))
                         .eps(o.eps())
                         .weight_decay(o.weight_decay());
  return std::make_unique<torch::optim::AdamW>(decay_groups(model, adamw), adamw);
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

void clear_gradients(torch::optim::Optimizer& optimizer) {
  for (auto& group : optimizer.param_groups()) {
    for (auto& p : group.params()) p.mutable_grad().reset();
  }
}

void move_optimizer_state(torch::optim::Optimizer& optimizer, const torch::Device& device) {
  const auto move = [&device](const torch::Tensor& t) { return t.defined() ? t.to(device) : t; };
  for (auto& [key, state] : optimizer.state()) {
    if (auto* adamw = dynamic_cast<torch::optim::AdamWParamState*>(state.get())) {
      adamw->exp_avg(move(adamw->exp_avg()));
      adamw->exp_avg_sq(move(adamw->exp_avg_sq()));
      adamw->max_exp_avg_sq(move(adamw->max_exp_avg_sq()));
    } else if (auto* sgd = dynamic_cast<torch::optim::SGDParamState*>(state.get())) {
      sgd->momentum_buffer(move(sgd->momentum_buffer()));
    }
  }
}

}  // namespace depthguard
