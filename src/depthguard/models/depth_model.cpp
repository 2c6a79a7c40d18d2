#include "depthguard/models/depth_model.h"

#include <torch/torch.h>

#include "depthguard/guard/op_scope.h"

namespace depthguard {

const ChoiceTable<Architecture>& architecture_choices() {
  static const ChoiceTable<Architecture> table{{"resnet18-mim", Architecture::ResNet18Mim},
                                               {"unet", Architecture::ResNetUnet}};
  return table;
}

int64_t default_width(Architecture arch) { return arch == Architecture::ResNet18Mim ? 64 : 32; }

DepthModelImpl::DepthModelImpl(ModelOptions options_) : options(std::move(options_)) {
  encoder = register_module("encoder", ResNetEncoder(ResNetEncoderOptions().width(options.width()).norm(options.norm())));
  const auto channels = encoder->channels();
  if (options.arch() == Architecture::ResNet18Mim) {
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
  const auto features = scoped("encoder", [&] { return encoder(image); });
  const auto x = scoped("decoder", [&] { return decoder->forward(features); });
  const auto logits = scoped("last_layer_depth", [&] { return last_layer_depth->forward(x); });
  return scoped("head", [&] { return head(logits); });
}

void to_channels_last(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& p : module.parameters()) {
    if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
  }
}

int64_t parameter_count(const torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

}  // namespace depthguard
