#include "depthguard/models/depth_model.h"

#include <torch/torch.h>

#include "depthguard/guard/op_scope.h"

namespace depthguard {

const ChoiceTable<Architecture>& architecture_choices() {
  static const ChoiceTable<Architecture> table{{"resnet18-mim", Architecture::ResNet18Mim},
                                               {"unet", Architecture::ResNetUnet},
                                               {"swinv2-mim", Architecture::SwinV2Mim}};
  return table;
}

int64_t default_width(Architecture arch) { return arch == Architecture::ResNet18Mim ? 64 : 32; }

DepthModelImpl::DepthModelImpl(ModelOptions options_) : options(std::move(options_)) {
  if (options.arch() == Architecture::SwinV2Mim) {
    swin_ = std::make_shared<SwinV2EncoderImpl>(options.swin());
    encoder = register_module("encoder", swin_);
  } else {
    encoder = register_module(
        "encoder", std::make_shared<ResNetEncoderImpl>(ResNetEncoderOptions().width(options.width()).norm(options.norm())));
  }
  const auto channels = encoder->channels();
  if (options.arch() == Architecture::SwinV2Mim) {  // MIM: decoder and head as wide as the embedding
    decoder = register_module("decoder", std::make_shared<MimDecoderImpl>(channels.back(), options.norm(),
                                                                          options.swin().embed_dim(), true));
  } else if (options.arch() == Architecture::ResNet18Mim) {
    decoder = register_module("decoder", std::make_shared<MimDecoderImpl>(channels.back(), options.norm()));
  } else {
    decoder = register_module("decoder", std::make_shared<UnetDecoderImpl>(channels, options.norm()));
  }
  const int64_t c = decoder->out_channels();
  last_layer_depth = register_module(
      "last_layer_depth",
      torch::nn::Sequential(torch::nn::Conv2d(torch::nn::Conv2dOptions(c, c, 3).padding(1)),
                            torch::nn::ReLU(torch::nn::ReLUOptions(true)),
                            torch::nn::Conv2d(torch::nn::Conv2dOptions(c, 1, 3).padding(1))));
  // MIM's head starts near zero logits: normal(0, 0.001) weights, zero bias (head_bias).
  torch::NoGradGuard no_grad;
  for (auto& p : last_layer_depth->named_parameters()) {
    if (p.value().dim() == 4) p.value().normal_(0.0, 0.001);
    else p.value().fill_(options.head_bias());
  }
  head = register_module("head", DepthHead(options.head()));
}

torch::Tensor DepthModelImpl::forward(const torch::Tensor& image) {
  TORCH_CHECK(image.dim() == 4 && image.size(1) == 3, "DepthModel: expected an image [B, 3, H, W], got ",
              image.sizes());
  TORCH_CHECK(image.size(2) % 32 == 0 && image.size(3) % 32 == 0, "DepthModel: input ", image.size(2), "x",
              image.size(3),
              " is not a multiple of 32 in both sides: crop (data.augment.crop_height/crop_width) or "
              "resize (eval.height/eval.width) to one");
  OpScope scope("model");
  const auto features = scoped("encoder", [&] { return encoder->forward(image); });
  const auto x = scoped("decoder", [&] { return decoder->forward(features); });
  const auto logits = scoped("last_layer_depth", [&] { return last_layer_depth->forward(x); });
  return scoped("head", [&] { return head(logits); });
}

int64_t DepthModelImpl::layer_of(const std::string& name) const {
  if (!swin_) return 0;
  const std::string prefix = "encoder.";
  return name.rfind(prefix, 0) == 0 ? swin_->layer_of(name.substr(prefix.size())) : layers() - 1;
}

int64_t DepthModelImpl::layers() const { return swin_ ? swin_->layers() : 1; }

std::string describe_model(const ModelOptions& options) {
  const auto dashed = [](const std::vector<int64_t>& values) {
    std::string out;
    for (const auto v : values) {
      if (!out.empty()) out += '-';
      out += std::to_string(v);
    }
    return out;
  };
  const auto name = choice_name(architecture_choices(), options.arch());
  if (options.arch() != Architecture::SwinV2Mim) return name + " (width " + std::to_string(options.width()) + ")";
  const auto& s = options.swin();
  return name + " (SwinV2 embed " + std::to_string(s.embed_dim()) + ", depths " + dashed(s.depths()) + ", windows " +
         dashed(s.window_sizes()) + ")";
}

void to_channels_last(torch::nn::Module& module, bool on) {
  torch::NoGradGuard no_grad;
  const auto format = on ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
  for (auto& p : module.parameters()) {
    if (p.dim() == 4) p.set_data(p.contiguous(format));
  }
}

int64_t parameter_count(const torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

}  // namespace depthguard
