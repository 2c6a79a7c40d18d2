#include "depthguard/models/swin_v2_encoder.h"

#include <numeric>

#include <torch/torch.h>

#include "depthguard/guard/op_scope.h"
#include "depthguard/models/window_partition.h"

namespace depthguard {

const ChoiceTable<SwinSize>& swin_size_choices() {
  static const ChoiceTable<SwinSize> table{{"tiny", SwinSize::Tiny}, {"base", SwinSize::Base}, {"large", SwinSize::Large}};
  return table;
}

SwinV2Options swin_v2_preset(SwinSize size) {
  switch (size) {
    case SwinSize::Base:
      return SwinV2Options().embed_dim(128).depths({2, 2, 18, 2}).heads({4, 8, 16, 32});
    case SwinSize::Large:
      return SwinV2Options().embed_dim(192).depths({2, 2, 18, 2}).heads({6, 12, 24, 48});
    case SwinSize::Tiny:
      break;
  }
  return SwinV2Options();
}

namespace {

namespace F = torch::nn::functional;

torch::nn::LayerNorm layer_norm(int64_t channels) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({channels}).eps(1e-5));
}

// A LayerNorm in its weights' dtype (float32) whatever autocast made of its input: LibTorch
// 1.13's CPU kernel refuses bfloat16 input with float32 weights, and CUDA's autocast runs
// layer_norm in float32 anyway.
torch::Tensor normalised(torch::nn::LayerNorm& norm, const torch::Tensor& x) {
  return norm(x.to(norm->weight.scalar_type()));
}

// Pads a token map [B, H, W, C] with zeros at the bottom and right to multiples of `multiple`.
torch::Tensor pad_to(const torch::Tensor& x, int64_t multiple) {
  const int64_t bottom = (multiple - x.size(1) % multiple) % multiple, right = (multiple - x.size(2) % multiple) % multiple;
  if (bottom == 0 && right == 0) return x;
  return F::pad(x, F::PadFuncOptions({0, 0, 0, right, 0, bottom}));
}

}  // namespace

SwinV2BlockImpl::SwinV2BlockImpl(int64_t channels, int64_t heads, int64_t window, int64_t pretrain_window,
                                 bool shifted, double mlp_ratio, double drop_path)
    : window_(window), shifted_(shifted), drop_path_(drop_path) {
  norm1 = register_module("norm1", layer_norm(channels));
  attn = register_module("attn", WindowAttention(channels, heads, window, pretrain_window));
  norm2 = register_module("norm2", layer_norm(channels));
  const auto hidden = static_cast<int64_t>(static_cast<double>(channels) * mlp_ratio);
  torch::nn::Linear fc1(channels, hidden), fc2(hidden, channels);
  mlp = register_module("mlp", torch::nn::Sequential());
  mlp->push_back("fc1", fc1);
  mlp->push_back("act", torch::nn::GELU());
  mlp->push_back("fc2", fc2);
}

torch::Tensor SwinV2BlockImpl::attend(const torch::Tensor& x) {
  const int64_t height = x.size(1), width = x.size(2);
  const auto padded = pad_to(x, window_);
  const int64_t padded_height = padded.size(1), padded_width = padded.size(2);
  const int64_t shift = shifted_ && (height > window_ || width > window_) ? window_ / 2 : 0;
  auto map = shift > 0 ? torch::roll(padded, {-shift, -shift}, {1, 2}) : padded;
  const auto mask = shift > 0 ? mask_for(padded_height, padded_width, shift, x.options()) : torch::Tensor();
  map = window_reverse(attn(window_partition(map, window_), mask), window_, padded_height, padded_width);
  if (shift > 0) map = torch::roll(map, {shift, shift}, {1, 2});
  using torch::indexing::Slice;
  return map.index({Slice(), Slice(0, height), Slice(0, width), Slice()});
}

// The shifted-window mask is built on the CPU: made once per map size and device and kept,
// since a copy to a GPU in every forward pass would make the host wait for the device.
const torch::Tensor& SwinV2BlockImpl::mask_for(int64_t height, int64_t width, int64_t shift,
                                               const torch::TensorOptions& options) {
  const bool stale = !mask_.defined() || mask_height_ != height || mask_width_ != width ||
                     mask_.device() != options.device() || mask_.scalar_type() != options.dtype().toScalarType();
  if (stale) {
    mask_ = shifted_window_mask(height, width, window_, shift, options);
    mask_height_ = height;
    mask_width_ = width;
  }
  return mask_;
}

// Stochastic depth: in training, the branch of each sample is dropped with probability
// drop_path_ and the kept ones scaled by 1 / (1 - drop_path_).
torch::Tensor SwinV2BlockImpl::drop_path(const torch::Tensor& branch) const {
  if (!is_training() || drop_path_ == 0) return branch;
  const double keep = 1 - drop_path_;
  const auto kept = torch::empty({branch.size(0), 1, 1, 1}, branch.options()).bernoulli_(keep);
  return branch * kept / keep;
}

torch::Tensor SwinV2BlockImpl::forward(const torch::Tensor& x) {
  const auto y = x + drop_path(normalised(norm1, attend(x)));
  return y + drop_path(normalised(norm2, mlp->forward(y)));
}

PatchMergingImpl::PatchMergingImpl(int64_t channels) {
  reduction = register_module("reduction", torch::nn::Linear(torch::nn::LinearOptions(4 * channels, 2 * channels).bias(false)));
  norm = register_module("norm", layer_norm(2 * channels));
}

torch::Tensor PatchMergingImpl::forward(const torch::Tensor& x) {
  const auto padded = pad_to(x, 2);
  using torch::indexing::Slice;
  const auto at = [&](int64_t row, int64_t col) {
    return padded.index({Slice(), Slice(row, torch::indexing::None, 2), Slice(col, torch::indexing::None, 2), Slice()});
  };
  // The reference order: (0,0), (1,0), (0,1), (1,1).
  return normalised(norm, reduction(torch::cat({at(0, 0), at(1, 0), at(0, 1), at(1, 1)}, -1)));
}

SwinV2EncoderImpl::SwinV2EncoderImpl(SwinV2Options options_) : options(std::move(options_)) {
  const auto& o = options;
  for (const auto* per_stage : {&o.depths(), &o.heads(), &o.window_sizes(), &o.pretrain_window_sizes()}) {
    TORCH_CHECK(per_stage->size() == 4, "SwinV2Options: depths, heads, window_sizes and pretrain_window_sizes need ",
                "four stages each");
  }
  TORCH_CHECK(o.use_shift().size() == 4, "SwinV2Options: use_shift needs four stages");
  TORCH_CHECK(o.embed_dim() >= 1 && o.patch_size() >= 1 && o.mlp_ratio() > 0,
              "SwinV2Options: embed_dim, patch_size and mlp_ratio must be positive");
  TORCH_CHECK(o.drop_path_rate() >= 0 && o.drop_path_rate() < 1, "SwinV2Options: drop_path_rate must be in [0, 1), got ",
              o.drop_path_rate());
  auto embed = std::make_shared<torch::nn::Module>();
  embed_proj = embed->register_module(
      "proj", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, o.embed_dim(), o.patch_size()).stride(o.patch_size())));
  embed_norm = embed->register_module("norm", layer_norm(o.embed_dim()));
  register_module("patch_embed", embed);

  const int64_t blocks = std::accumulate(o.depths().begin(), o.depths().end(), int64_t{0});
  auto stages = register_module("layers", torch::nn::ModuleList());
  int64_t block = 0;
  for (size_t s = 0; s < 4; ++s) {
    const int64_t channels = o.embed_dim() << s;
    auto stage = std::make_shared<torch::nn::Module>();
    auto list = stage->register_module("blocks", torch::nn::ModuleList());
    blocks_.emplace_back();
    for (int64_t j = 0; j < o.depths()[s]; ++j, ++block) {
      const double drop = blocks > 1 ? o.drop_path_rate() * static_cast<double>(block) / static_cast<double>(blocks - 1) : 0;
      SwinV2Block b(channels, o.heads()[s], o.window_sizes()[s], o.pretrain_window_sizes()[s],
                    o.use_shift()[s] && j % 2 == 1, o.mlp_ratio(), drop);
      list->push_back(b);
      blocks_.back().push_back(b);
    }
    if (s < 3) downsample_.push_back(stage->register_module("downsample", PatchMerging(channels)));
    stages->push_back(stage);
  }
  norm = register_module("norm", layer_norm(o.embed_dim() << 3));
  initialise();
}

// SwinV2's initialisation: every linear weight (2-D) normal(0, 0.02) (timm's trunc_normal_
// with +-2 absolute bounds, which at std 0.02 truncates nothing), every bias but the patch
// convolution's 0 (q_bias and v_bias included), and the blocks' norms' weights 0: residual
// post-normalisation starts each block as the identity.
void SwinV2EncoderImpl::initialise() {
  torch::NoGradGuard no_grad;
  for (auto& p : named_parameters()) {
    const auto& name = p.key();
    const auto ends_with = [&](const std::string& tail) {
      return name.size() >= tail.size() && name.compare(name.size() - tail.size(), tail.size(), tail) == 0;
    };
    if (p.value().dim() == 2) {
      p.value().normal_(0.0, 0.02);
    } else if ((ends_with("bias") && name != "patch_embed.proj.bias") || ends_with("norm1.weight") ||
               ends_with("norm2.weight")) {
      p.value().zero_();
    }
  }
}

std::vector<torch::Tensor> SwinV2EncoderImpl::forward(const torch::Tensor& image) {
  TORCH_CHECK(image.size(2) % options.patch_size() == 0 && image.size(3) % options.patch_size() == 0,
              "SwinV2Encoder: image ", image.size(2), "x", image.size(3), " is not a multiple of the patch size ",
              options.patch_size());
  auto x = normalised(embed_norm, embed_proj(image).permute({0, 2, 3, 1}));  // [B, H/4, W/4, C]
  std::vector<torch::Tensor> features;
  for (size_t s = 0; s < blocks_.size(); ++s) {
    static const char* const kStages[] = {"layers.0", "layers.1", "layers.2", "layers.3"};
    OpScope scope(kStages[s]);  // OpScope keeps the pointer: names with static storage
    for (auto& b : blocks_[s]) x = b(x);
    features.push_back((s + 1 == blocks_.size() ? normalised(norm, x) : x).permute({0, 3, 1, 2}));
    if (s < downsample_.size()) x = downsample_[s](x);
  }
  return features;
}

std::vector<int64_t> SwinV2EncoderImpl::channels() const {
  return {options.embed_dim(), options.embed_dim() * 2, options.embed_dim() * 4, options.embed_dim() * 8};
}

int64_t SwinV2EncoderImpl::layer_of(const std::string& name) const {
  if (name.rfind("patch_embed.", 0) == 0) return 0;
  if (name.rfind("layers.", 0) != 0) return layers() - 1;
  const auto stage_end = name.find('.', 7);
  const auto stage = std::stoll(name.substr(7, stage_end - 7));
  const auto& d = options.depths();
  const int64_t before = std::accumulate(d.begin(), d.begin() + stage, int64_t{0});
  const auto part = name.substr(stage_end + 1);
  if (part.rfind("downsample.", 0) == 0) return before + d[static_cast<size_t>(stage)];
  const auto block = std::stoll(part.substr(7, part.find('.', 7) - 7));  // "blocks.J."
  return before + block + 1;
}

int64_t SwinV2EncoderImpl::layers() const {
  return std::accumulate(options.depths().begin(), options.depths().end(), int64_t{0}) + 2;
}

}  // namespace depthguard
