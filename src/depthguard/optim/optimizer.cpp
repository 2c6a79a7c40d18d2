#include "depthguard/optim/optimizer.h"

#include <cmath>
#include <string>

#include <torch/torch.h>

namespace depthguard {

const ChoiceTable<OptimizerKind>& optimizer_kind_choices() {
  static const ChoiceTable<OptimizerKind> table{{"adamw", OptimizerKind::AdamW}, {"sgd", OptimizerKind::Sgd}};
  return table;
}

namespace {

// A parameter group before it has options: its parameters, whether they decay, its scale.
struct GroupPlan {
  std::vector<torch::Tensor> params;
  bool decays = true;
  double lr_scale = 1;
};

// Weight decay pulls weights toward 0; biases, norms and the like (1-D), SwinV2's
// position-bias MLP and its logit scales are not weights in that sense (SimMIM and MIM
// exempt them too).
bool decays(const std::string& name, const torch::Tensor& p) {
  return p.dim() > 1 && name.find("cpb_mlp") == std::string::npos && name.find("logit_scale") == std::string::npos;
}

// The groups, in a fixed order: per layer (one layer without layer decay), the decayed
// parameters, then the others; empty groups are left out.
std::vector<GroupPlan> plan_groups(const OptimizerOptions& o, DepthModelImpl& model) {
  const int64_t layers = o.layer_decay() < 1 ? model.layers() : 1;
  std::vector<GroupPlan> plan(static_cast<size_t>(2 * layers));
  for (int64_t l = 0; l < layers; ++l) {
    const double scale = std::pow(o.layer_decay(), static_cast<double>(layers - 1 - l));
    plan[static_cast<size_t>(2 * l)] = {{}, true, scale};
    plan[static_cast<size_t>(2 * l + 1)] = {{}, false, scale};
  }
  for (auto& p : model.named_parameters()) {
    const int64_t l = layers > 1 ? model.layer_of(p.key()) : 0;
    plan[static_cast<size_t>(2 * l + (decays(p.key(), p.value()) ? 0 : 1))].params.push_back(p.value());
  }
  std::vector<GroupPlan> kept;
  for (auto& g : plan) {
    if (!g.params.empty() || layers == 1) kept.push_back(std::move(g));
  }
  return kept;
}

template <class Options>
std::vector<torch::optim::OptimizerParamGroup> groups_of(const std::vector<GroupPlan>& plan, const Options& decayed) {
  std::vector<torch::optim::OptimizerParamGroup> groups;
  for (const auto& g : plan) {
    auto options = std::make_unique<Options>(decayed);
    if (!g.decays) options->weight_decay(0.0);
    groups.emplace_back(g.params, std::move(options));
  }
  return groups;
}

}  // namespace

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerOptions& o, DepthModelImpl& model) {
  const auto plan = plan_groups(o, model);
  if (o.kind() == OptimizerKind::Sgd) {
    const auto sgd = torch::optim::SGDOptions(o.lr()).momentum(o.momentum()).nesterov(o.nesterov()).weight_decay(
        o.weight_decay());
    return std::make_unique<torch::optim::SGD>(groups_of(plan, sgd), sgd);
  }
  const auto adamw = torch::optim::AdamWOptions(o.lr())
                         .betas(std::make_tuple(o.beta1(), o.beta2()))
                         .eps(o.eps())
                         .weight_decay(o.weight_decay());
  return std::make_unique<torch::optim::AdamW>(groups_of(plan, adamw), adamw);
}

std::vector<double> learning_rate_scales(const OptimizerOptions& options, DepthModelImpl& model) {
  std::vector<double> scales;
  for (const auto& g : plan_groups(options, model)) scales.push_back(g.lr_scale);
  return scales;
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr, const std::vector<double>& scales) {
  auto& groups = optimizer.param_groups();
  TORCH_CHECK(scales.empty() || scales.size() == groups.size(), "set_learning_rate: ", scales.size(),
              " scales for ", groups.size(), " parameter groups");
  for (size_t i = 0; i < groups.size(); ++i) groups[i].options().set_lr(lr * (scales.empty() ? 1.0 : scales[i]));
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
