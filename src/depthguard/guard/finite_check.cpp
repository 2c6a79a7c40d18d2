#include "depthguard/guard/finite_check.h"

#include <algorithm>
#include <cmath>

#include <ATen/Dispatch.h>

#include <torch/torch.h>

namespace depthguard {

bool all_finite(const std::vector<torch::Tensor>& tensors) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> sums;
  for (const auto& t : measurable(tensors)) sums.push_back(t.sum(torch::kDouble));
  return sums.empty() || std::isfinite(torch::stack(sums).sum().item<double>());
}

std::vector<torch::Tensor> measurable(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> kept;
  for (const auto& t : tensors) {
    if (t.defined() && t.numel() > 0 && t.is_floating_point()) kept.push_back(t.detach());
  }
  return kept;
}

torch::Tensor norms_on_device(const std::vector<torch::Tensor>& measured) {
  if (measured.empty()) return {};
  torch::NoGradGuard no_grad;
  return torch::stack(at::_foreach_norm(measured, 2));
}

double combined_norm(const double* norms, size_t count) {
  double squares = 0;
  for (size_t i = 0; i < count; ++i) squares += norms[i] * norms[i];
  return std::sqrt(squares);
}

size_t PendingNorm::read_count() const {
  return device_norms.defined() ? static_cast<size_t>(device_norms.numel()) : 0;
}

double PendingNorm::finish(const double* read) const {
  const double device = combined_norm(read, read_count());
  return std::sqrt(host_squares + device * device);
}

namespace {

bool host_summed(const torch::Tensor& t) {
  return t.device().is_cpu() && t.scalar_type() == torch::kFloat && t.layout() == torch::kStrided &&
         t.is_contiguous() && t.numel() <= kHostSummedElements;
}

// Four accumulators: independent additions the processor overlaps (one chain would wait on
// each add), still in a fixed order, so the same values always give the same sum.
double squares_of(const torch::Tensor& t) {
  const float* values = t.data_ptr<float>();
  const int64_t n = t.numel();
  double sums[4] = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int k = 0; k < 4; ++k) sums[k] += static_cast<double>(values[i + k]) * values[i + k];
  }
  for (; i < n; ++i) sums[0] += static_cast<double>(values[i]) * values[i];
  return (sums[0] + sums[1]) + (sums[2] + sums[3]);
}

}  // namespace

PendingNorm begin_norm(const std::vector<torch::Tensor>& measured) {
  PendingNorm norm;
  std::vector<torch::Tensor> on_device;
  for (const auto& t : measured) {
    if (host_summed(t)) {
      norm.host_squares += squares_of(t);
    } else {
      on_device.push_back(t);
    }
  }
  norm.device_norms = norms_on_device(on_device);
  return norm;
}

double global_norm(const std::vector<torch::Tensor>& tensors) {
  const auto kept = measurable(tensors);
  // The tensors' own precision first (float32 reductions run at memory speed); only when that
  // is not finite, float64, to tell an overflow of finite values from a NaN or inf element.
  const auto pending = begin_norm(kept);
  const auto read = pending.read_count() > 0 ? read_figures({pending.device_norms}) : std::vector<double>{};
  const double norm = pending.finish(read.data());
  if (std::isfinite(norm)) return norm;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> norms;
  for (const auto& t : kept) norms.push_back(torch::linalg_vector_norm(t, 2, c10::nullopt, false, torch::kDouble));
  return torch::linalg_vector_norm(torch::stack(norms), 2).item<double>();
}

std::vector<double> read_figures(const std::vector<torch::Tensor>& figures) {
  std::vector<double> values;
  const bool on_host = std::all_of(figures.begin(), figures.end(), [](const auto& t) { return t.device().is_cpu(); });
  if (on_host) {  // read in place: no operator dispatched
    for (const auto& figure : figures) {
      const auto t = figure.contiguous();
      AT_DISPATCH_ALL_TYPES_AND3(at::kHalf, at::kBFloat16, at::kBool, t.scalar_type(), "read_figures", [&] {
        const auto* data = t.data_ptr<scalar_t>();
        for (int64_t i = 0; i < t.numel(); ++i) values.push_back(static_cast<double>(data[i]));
      });
    }
    return values;
  }
  std::vector<torch::Tensor> flat;
  for (const auto& t : figures) flat.push_back(t.detach().reshape({-1}));
  // cat promotes to the widest dtype, so the one conversion after it loses nothing.
  const auto host = torch::cat(flat).to(torch::kCPU, torch::kDouble).contiguous();
  const auto* data = host.data_ptr<double>();
  return {data, data + host.numel()};
}

std::vector<torch::Tensor> gradients_of(const std::vector<torch::Tensor>& parameters) {
  std::vector<torch::Tensor> grads;
  for (const auto& p : parameters) {
    if (p.grad().defined()) grads.push_back(p.grad());
  }
  return grads;
}

}  // namespace depthguard
