#pragma once
// The SwinV2 encoder as published (Liu et al., 2022) and as MIM uses it for depth: patch
// embedding, four stages of blocks with residual post-normalisation and window attention
// (models/window_attention.h), shifted windows in every second block, patch merging with
// the norm after the reduction between stages. Parameter names are those of SwinV2's
// reference code (patch_embed, layers.i.blocks.j.{norm1, attn, norm2, mlp.fc1, mlp.fc2},
// layers.i.downsample.{reduction, norm}, norm): scripts/convert_weights.py maps timm's and
// MIM's checkpoints onto them.
#include <cstdint>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include "depthguard/models/feature_encoder.h"
#include "depthguard/models/swin_v2_options.h"
#include "depthguard/models/window_attention.h"

namespace depthguard {

/// The published configuration of a size: embedding 96 / 128 / 192, heads 3-6-12-24 /
/// 4-8-16-32 / 6-12-24-48, depths 2-2-6-2 for tiny (Swin's) and 2-2-18-2 for base and large
/// (MIM's training commands); windows 8 and the other options at their defaults.
SwinV2Options swin_v2_preset(SwinSize size);

/// A transformer block on a token map [B, H, W, C]: x + norm1(attention(windows of x)), then
/// + norm2(mlp(.)), each branch dropped per sample with probability `drop_path` in training.
class SwinV2BlockImpl : public torch::nn::Module {
 public:
  SwinV2BlockImpl(int64_t channels, int64_t heads, int64_t window, int64_t pretrain_window, bool shifted,
                  double mlp_ratio, double drop_path);
  /// A side that is not a multiple of the window is padded (with zeros) up to one before the
  /// shift, as Swin's detection code and MIM do; a map no larger than one window is not
  /// shifted, as in the reference code. (timm instead shrinks the window to a smaller map and
  /// pads after the shift: the same numbers wherever the map's sides are multiples of the
  /// window, as at 256x256 with window 8.)
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::Tensor attend(const torch::Tensor& x);
  const torch::Tensor& mask_for(int64_t height, int64_t width, int64_t shift, const torch::TensorOptions& options);
  torch::Tensor drop_path(const torch::Tensor& branch) const;

  int64_t window_;
  bool shifted_;
  double drop_path_;
  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
  WindowAttention attn{nullptr};
  torch::nn::Sequential mlp{nullptr};  ///< fc1 - GELU - fc2
  torch::Tensor mask_;                 ///< the shifted-window mask of the last map size (not a buffer)
  int64_t mask_height_ = 0, mask_width_ = 0;
};
TORCH_MODULE(SwinV2Block);

/// Between stages: each 2x2 group of tokens concatenated (4C), reduced to 2C by a linear map
/// without bias, then normalised (SwinV2 normalises after the reduction). An odd side is
/// padded by one.
class PatchMergingImpl : public torch::nn::Module {
 public:
  explicit PatchMergingImpl(int64_t channels);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Linear reduction{nullptr};
  torch::nn::LayerNorm norm{nullptr};
};
TORCH_MODULE(PatchMerging);

class SwinV2EncoderImpl : public FeatureEncoderImpl {
 public:
  /// TORCH_CHECKs the options by name: four stages in depths, heads, window_sizes,
  /// pretrain_window_sizes and use_shift; positive sizes; drop_path_rate in [0, 1).
  explicit SwinV2EncoderImpl(SwinV2Options options = {});
  /// Each stage's output, NCHW, at strides 4, 8, 16 and 32 (the last normalised). H and W
  /// must be multiples of patch_size.
  std::vector<torch::Tensor> forward(const torch::Tensor& image) override;
  std::vector<int64_t> channels() const override;

  /// SimMIM's and MIM's layer of a parameter named inside the encoder, for layer-wise
  /// learning-rate decay: patch_embed 0, block j of stage i 1 + depths[0..i) + j, stage i's
  /// downsample depths[0..i], anything else (the final norm) sum(depths) + 1.
  int64_t layer_of(const std::string& name) const;
  /// sum(depths) + 2: layer_of's values are below it.
  int64_t layers() const;

  SwinV2Options options;

 private:
  void initialise();

  // Held here; registered under the reference code's names: patch_embed.{proj, norm},
  // layers.i.{blocks.j, downsample}, norm.
  torch::nn::Conv2d embed_proj{nullptr};
  torch::nn::LayerNorm embed_norm{nullptr};
  std::vector<std::vector<SwinV2Block>> blocks_;  ///< per stage
  std::vector<PatchMerging> downsample_;           ///< after stages 0-2
  torch::nn::LayerNorm norm{nullptr};
};
TORCH_MODULE(SwinV2Encoder);

}  // namespace depthguard
