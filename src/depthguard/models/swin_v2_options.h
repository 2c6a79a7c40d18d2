#pragma once
// The options of the SwinV2 encoder (models/swin_v2_encoder.h), MIM's backbone: what config
// reads under model.backbone, model.window_size and friends.
#include <cstdint>
#include <vector>

#include <torch/arg.h>

#include "depthguard/core/choice.h"

namespace depthguard {

/// The published sizes (swin_v2_preset): embedding 96 / 128 / 192.
enum class SwinSize { Tiny, Base, Large };
const ChoiceTable<SwinSize>& swin_size_choices();

struct SwinV2Options {
  /// Channels of the first stage; stage s has embed_dim * 2^s.
  TORCH_ARG(int64_t, embed_dim) = 96;
  /// Blocks per stage (four stages).
  TORCH_ARG(std::vector<int64_t>, depths) = std::vector<int64_t>({2, 2, 6, 2});
  /// Attention heads per stage.
  TORCH_ARG(std::vector<int64_t>, heads) = std::vector<int64_t>({3, 6, 12, 24});
  /// Window side per stage, in tokens.
  TORCH_ARG(std::vector<int64_t>, window_sizes) = std::vector<int64_t>({8, 8, 8, 8});
  /// The window each stage was pretrained with (its continuous position bias is normalised
  /// by it, so pretrained weights carry over to another window); 0: the stage's own window.
  TORCH_ARG(std::vector<int64_t>, pretrain_window_sizes) = std::vector<int64_t>({0, 0, 0, 0});
  /// Whether every second block of a stage shifts its windows by half a window.
  TORCH_ARG(std::vector<bool>, use_shift) = std::vector<bool>({true, true, true, true});
  /// Hidden width of each block's MLP, in multiples of its channels.
  TORCH_ARG(double, mlp_ratio) = 4.0;
  /// Stochastic depth: the drop probability grows linearly over the blocks up to this.
  TORCH_ARG(double, drop_path_rate) = 0.1;
  /// Side of the square patches the image is cut into.
  TORCH_ARG(int64_t, patch_size) = 4;
};

}  // namespace depthguard
