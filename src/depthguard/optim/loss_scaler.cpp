#include "depthguard/optim/loss_scaler.h"

#include <cmath>
#include <limits>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

namespace depthguard {

const ChoiceTable<LossScaling>& loss_scaling_choices() {
  static const ChoiceTable<LossScaling> table{
      {"auto", LossScaling::Auto}, {"dynamic", LossScaling::Dynamic}, {"off", LossScaling::Off}};
  return table;
}

namespace {

// LibTorch 1.13 registers the AMP operators for CUDA only; 2.x for the CPU too. Asking the
// dispatcher is the one way to know without a version table.
bool has_amp_kernels(c10::Device device) {
  if (device.is_cuda()) return true;
  try {
    auto probe = torch::ones({1}, torch::TensorOptions().device(device));
    auto found = torch::zeros({1}, probe.options());
    at::_amp_foreach_non_finite_check_and_unscale_(std::vector<at::Tensor>{probe}, found, torch::ones({1}, probe.options()));
    auto tracker = torch::zeros({1}, probe.options().dtype(torch::kInt));
    at::_amp_update_scale_(probe, tracker, found, 2.0, 0.5, 1);  // both operators, or neither
    return true;
  } catch (const c10::Error&) {
    return false;
  }
}

}  // namespace

LossScaler::LossScaler(LossScalerOptions options, c10::Device device) : options_(options) {
  TORCH_CHECK(options_.init_scale() > 0 && std::isfinite(options_.init_scale()),
              "LossScalerOptions: init_scale must be finite and > 0, got ", options_.init_scale());
  TORCH_CHECK(options_.growth_factor() > 1, "LossScalerOptions: growth_factor must be > 1, got ",
              options_.growth_factor());
  TORCH_CHECK(options_.backoff_factor() > 0 && options_.backoff_factor() < 1,
              "LossScalerOptions: backoff_factor must be in (0, 1), got ", options_.backoff_factor());
  TORCH_CHECK(options_.growth_interval() >= 1, "LossScalerOptions: growth_interval must be >= 1, got ",
              options_.growth_interval());
  const auto on_device = torch::TensorOptions().device(device);
  scale_ = torch::full({1}, options_.init_scale(), on_device.dtype(torch::kFloat));
  good_steps_ = torch::zeros({1}, on_device.dtype(torch::kInt));
  found_inf_ = torch::zeros({1}, on_device.dtype(torch::kFloat));
  amp_kernels_ = options_.amp_kernels() && has_amp_kernels(device);
}

torch::Tensor LossScaler::scale(const torch::Tensor& loss) const {
  return loss * scale_.to(loss.options()).squeeze();
}

torch::Tensor LossScaler::unscale(const std::vector<torch::Tensor>& parameters) {
  torch::NoGradGuard no_grad;
  found_inf_.zero_();
  std::vector<torch::Tensor> grads;
  for (const auto& p : parameters) {
    if (p.grad().defined()) grads.push_back(p.grad());
  }
  if (grads.empty()) return found_inf_;
  // In float32 whatever the scale: 1 / 2^k is exact, so unscaled gradients are exact too.
  const auto inverse = scale_.reciprocal();
  if (amp_kernels_) {
    at::_amp_foreach_non_finite_check_and_unscale_(grads, found_inf_, inverse);
  } else {
    for (auto& g : grads) {
      found_inf_.logical_or_(torch::isfinite(g).all().logical_not());  // stays float: 1 or 0
      g.mul_(inverse.to(g.dtype()));
    }
  }
  return found_inf_;
}

void LossScaler::update(bool overflowed) {
  found_inf_.fill_(overflowed ? 1.0 : 0.0);
  if (amp_kernels_) {
    at::_amp_update_scale_(scale_, good_steps_, found_inf_, options_.growth_factor(), options_.backoff_factor(),
                           options_.growth_interval());
    return;
  }
  // _amp_update_scale_'s rule, in the same order.
  if (overflowed) {
    scale_.mul_(options_.backoff_factor());
    good_steps_.zero_();
    return;
  }
  good_steps_.add_(1);
  if (good_steps_.item<int>() >= options_.growth_interval()) {
    const auto grown = scale_ * options_.growth_factor();
    if (torch::isfinite(grown).all().item<bool>()) scale_.copy_(grown);
    good_steps_.zero_();
  }
}

double LossScaler::value() const { return scale_.item<double>(); }

int64_t LossScaler::good_steps() const { return good_steps_.item<int64_t>(); }

void LossScaler::restore(double scale, int64_t good_steps) {
  TORCH_CHECK(scale > 0 && std::isfinite(scale), "LossScaler::restore: scale must be finite and > 0, got ", scale);
  scale_.fill_(scale);
  good_steps_.fill_(good_steps);
}

}  // namespace depthguard
