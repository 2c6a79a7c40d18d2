#include "depthguard/models/window_attention.h"

#include <cmath>

#include <torch/torch.h>

namespace depthguard {

namespace {

// Relative offsets (dy, dx) in [-(w-1), w-1], normalised by the pretraining window to
// [-8, 8] and log-spaced (sign(t) log2(|t| + 1) / log2(8)), so a bias learned on one window
// size extrapolates to another.
torch::Tensor coordinates_table(int64_t window, int64_t pretrain_window) {
  const auto offsets = torch::arange(-(window - 1), window, torch::kFloat);
  auto table = torch::stack(torch::meshgrid({offsets, offsets}, "ij")).permute({1, 2, 0}).unsqueeze(0);
  const int64_t scale = pretrain_window > 0 ? pretrain_window : window;
  table = table / static_cast<double>(std::max<int64_t>(scale - 1, 1)) * 8.0;
  return torch::sign(table) * torch::log2(table.abs() + 1.0) / std::log2(8.0);
}

// For each pair of tokens of a window, the entry of the table that holds their offset.
torch::Tensor position_index(int64_t window) {
  const auto rows = torch::arange(window, torch::kLong);
  const auto grid = torch::stack(torch::meshgrid({rows, rows}, "ij")).flatten(1);  // [2, w*w]
  auto relative = (grid.unsqueeze(2) - grid.unsqueeze(1)).permute({1, 2, 0}) + (window - 1);
  return relative.select(2, 0) * (2 * window - 1) + relative.select(2, 1);
}

}  // namespace

WindowAttentionImpl::WindowAttentionImpl(int64_t channels, int64_t heads, int64_t window, int64_t pretrain_window)
    : heads_(heads), window_(window) {
  TORCH_CHECK(heads >= 1 && channels % heads == 0, "WindowAttention: heads ", heads, " must divide channels ", channels);
  TORCH_CHECK(window >= 1, "WindowAttention: window must be >= 1, got ", window);
  logit_scale = register_parameter("logit_scale", torch::full({heads, 1, 1}, std::log(10.0)));
  cpb_mlp = register_module("cpb_mlp", torch::nn::Sequential(torch::nn::Linear(2, 512), torch::nn::ReLU(true),
                                                             torch::nn::Linear(torch::nn::LinearOptions(512, heads).bias(false))));
  qkv = register_module("qkv", torch::nn::Linear(torch::nn::LinearOptions(channels, 3 * channels).bias(false)));
  q_bias = register_parameter("q_bias", torch::zeros({channels}));
  v_bias = register_parameter("v_bias", torch::zeros({channels}));
  proj = register_module("proj", torch::nn::Linear(channels, channels));
  relative_coords_table = register_buffer("relative_coords_table", coordinates_table(window, pretrain_window));
  relative_position_index = register_buffer("relative_position_index", position_index(window));
}

torch::Tensor WindowAttentionImpl::position_bias() {
  const int64_t n = window_ * window_;
  const auto table = cpb_mlp->forward(relative_coords_table).view({-1, heads_});
  const auto bias = table.index_select(0, relative_position_index.view(-1)).view({n, n, heads_}).permute({2, 0, 1});
  return 16 * torch::sigmoid(bias);
}

torch::Tensor WindowAttentionImpl::forward(const torch::Tensor& windows, const torch::Tensor& mask) {
  const int64_t batch = windows.size(0), n = windows.size(1), channels = windows.size(2);
  const auto bias = torch::cat({q_bias, torch::zeros_like(v_bias), v_bias});
  const auto parts = torch::nn::functional::linear(windows, qkv->weight, bias)
                         .reshape({batch, n, 3, heads_, channels / heads_})
                         .permute({2, 0, 3, 1, 4});
  const auto q = parts[0], k = parts[1], v = parts[2];
  // Cosine similarity times a per-head scale (at most 100): attention logits stay bounded
  // however large the activations grow, SwinV2's answer to its training instability.
  namespace F = torch::nn::functional;
  auto attention = torch::matmul(F::normalize(q, F::NormalizeFuncOptions().dim(-1)),
                                 F::normalize(k, F::NormalizeFuncOptions().dim(-1)).transpose(-2, -1));
  attention = attention * torch::clamp_max(logit_scale, std::log(1.0 / 0.01)).exp();
  attention = attention + position_bias().unsqueeze(0);
  if (mask.defined()) {
    const int64_t per_image = mask.size(0);
    TORCH_CHECK(batch % per_image == 0, "WindowAttention: ", batch, " windows for a mask of ", per_image);
    attention = (attention.view({batch / per_image, per_image, heads_, n, n}) + mask.unsqueeze(1).unsqueeze(0))
                    .view({batch, heads_, n, n});
  }
  attention = torch::softmax(attention, -1);
  return proj->forward(torch::matmul(attention, v).transpose(1, 2).reshape({batch, n, channels}));
}

}  // namespace depthguard
