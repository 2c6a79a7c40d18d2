#pragma once
// SwinV2's window attention: scaled cosine attention with a learnable, clamped logit scale
// per head, and the continuous position bias (a small MLP over log-spaced relative
// coordinates). Parameter names are those of SwinV2's reference code, which MIM's
// checkpoints use (qkv, q_bias, v_bias, logit_scale, cpb_mlp, proj).
#include <cstdint>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace depthguard {

class WindowAttentionImpl : public torch::nn::Module {
 public:
  /// `channels` split into `heads` (TORCH_CHECKs that heads divides channels), windows of
  /// `window` x `window` tokens; the position bias is normalised by `pretrain_window` (0: by
  /// the window itself).
  WindowAttentionImpl(int64_t channels, int64_t heads, int64_t window, int64_t pretrain_window = 0);

  /// Windows [N, w*w, C] in, [N, w*w, C] out. `mask` [windows per image, w*w, w*w] (additive,
  /// shifted_window_mask) or undefined; N must then be a multiple of its first size.
  torch::Tensor forward(const torch::Tensor& windows, const torch::Tensor& mask = {});

  /// The position bias [heads, w*w, w*w] the MLP gives now: 16 * sigmoid(MLP(coordinates)),
  /// so each entry lies in (0, 16).
  torch::Tensor position_bias();

 private:
  int64_t heads_, window_;
  torch::nn::Linear qkv{nullptr}, proj{nullptr};
  torch::Tensor q_bias, v_bias;  ///< the key has no bias (SwinV2)
  torch::Tensor logit_scale;     ///< [heads, 1, 1], log(10) at first; clamped at log(100)
  torch::nn::Sequential cpb_mlp{nullptr};  ///< 2 -> 512 -> heads
  torch::Tensor relative_coords_table;     ///< buffer [1, 2w-1, 2w-1, 2], log-spaced
  torch::Tensor relative_position_index;   ///< buffer [w*w, w*w]: into the table's entries
};
TORCH_MODULE(WindowAttention);

}  // namespace depthguard
