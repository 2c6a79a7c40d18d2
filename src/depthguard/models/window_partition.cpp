#include "depthguard/models/window_partition.h"

#include <torch/torch.h>

namespace depthguard {

torch::Tensor window_partition(const torch::Tensor& x, int64_t window) {
  TORCH_CHECK(x.dim() == 4, "window_partition: expected [B, H, W, C], got ", x.sizes());
  const int64_t b = x.size(0), h = x.size(1), w = x.size(2), c = x.size(3);
  TORCH_CHECK(window >= 1 && h % window == 0 && w % window == 0, "window_partition: window ", window,
              " must divide the map ", h, "x", w);
  return x.view({b, h / window, window, w / window, window, c})
      .permute({0, 1, 3, 2, 4, 5})
      .reshape({-1, window * window, c});
}

torch::Tensor window_reverse(const torch::Tensor& windows, int64_t window, int64_t height, int64_t width) {
  TORCH_CHECK(windows.dim() == 3 && windows.size(1) == window * window, "window_reverse: expected [N, ", window * window,
              ", C], got ", windows.sizes());
  TORCH_CHECK(height % window == 0 && width % window == 0, "window_reverse: window ", window, " must divide ", height,
              "x", width);
  const int64_t c = windows.size(2);
  return windows.view({-1, height / window, width / window, window, window, c})
      .permute({0, 1, 3, 2, 4, 5})
      .reshape({-1, height, width, c});
}

torch::Tensor shifted_window_mask(int64_t height, int64_t width, int64_t window, int64_t shift,
                                  const torch::TensorOptions& options) {
  const int64_t windows = (height / window) * (width / window), n = window * window;
  if (shift == 0) return torch::zeros({windows, n, n}, options);
  // Three bands per axis (before the last window, the last window's unshifted part, the
  // wrapped part): tokens of different bands were not neighbours before the shift.
  auto region = torch::zeros({1, height, width, 1}, torch::TensorOptions().dtype(torch::kFloat));
  const auto band = [&](int64_t side, int k) {
    const int64_t edges[] = {0, side - window, side - shift, side};
    return torch::indexing::Slice(edges[k], edges[k + 1]);
  };
  float label = 0;
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      region.index_put_({torch::indexing::Slice(), band(height, i), band(width, j), torch::indexing::Slice()}, label++);
    }
  }
  const auto labels = window_partition(region, window).squeeze(-1);  // [windows, n]
  const auto differ = labels.unsqueeze(1) != labels.unsqueeze(2);
  return torch::zeros({windows, n, n}).masked_fill(differ, -100.0).to(options);
}

}  // namespace depthguard
