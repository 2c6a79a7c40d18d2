#pragma once
// Cutting a token map into square windows and back, and the attention mask of shifted
// windows (Swin): the index arithmetic of window attention, kept apart from its learning.
#include <cstdint>

#include <torch/types.h>

namespace depthguard {

/// [B, H, W, C] to [B * H/w * W/w, w * w, C], windows in row-major order. TORCH_CHECKs that
/// w >= 1 divides H and W. Edges: B = 0 gives [0, w*w, C]; w = H = W gives one window per image.
torch::Tensor window_partition(const torch::Tensor& x, int64_t window);

/// The inverse of window_partition: [B * H/w * W/w, w * w, C] to [B, H, W, C].
torch::Tensor window_reverse(const torch::Tensor& windows, int64_t window, int64_t height, int64_t width);

/// The additive attention mask of windows shifted by `shift` tokens on an H x W map (H and W
/// multiples of `window`): [H/w * W/w, w*w, w*w], 0 where two tokens came from the same
/// region before the cyclic shift and -100 where they did not (a shifted window's wrapped
/// tokens must not attend across the wrap). All zeros when shift is 0.
torch::Tensor shifted_window_mask(int64_t height, int64_t width, int64_t window, int64_t shift,
                                  const torch::TensorOptions& options = {});

}  // namespace depthguard
