#include "depthguard/models/onednn_safe_conv.h"

#include <algorithm>

#include <torch/torch.h>

namespace depthguard {

bool hits_onednn_6035(const torch::nn::Conv2dImpl& conv, const torch::Tensor& x) {
  const auto& o = conv.options;
  const auto kernel = *o.kernel_size();
  const auto stride = *o.stride();
  const bool pointwise = kernel[0] == 1 && kernel[1] == 1;
  const bool strided = std::any_of(stride.begin(), stride.end(), [](int64_t s) { return s > 1; });
  const bool channels_last = (x.dim() == 4 && !x.is_contiguous() && x.is_contiguous(at::MemoryFormat::ChannelsLast)) ||
                             (!conv.weight.is_contiguous() && conv.weight.is_contiguous(at::MemoryFormat::ChannelsLast));
  const bool zero_padding = o.padding_mode().index() == 0;  // kZeros: what F::conv2d pads with
  return x.is_cpu() && pointwise && strided && o.in_channels() < 16 && channels_last && zero_padding;
}

torch::Tensor onednn_safe_conv(torch::nn::Conv2dImpl& conv, const torch::Tensor& x) {
  if (!hits_onednn_6035(conv, x)) return conv.forward(x);
  const auto& o = conv.options;
  namespace F = torch::nn::functional;
  const auto out = F::conv2d(x.contiguous(), conv.weight.contiguous(),
                             F::Conv2dFuncOptions().bias(conv.bias).stride(o.stride()).padding(o.padding())
                                 .dilation(o.dilation()).groups(o.groups()));
  return out.contiguous(x.suggest_memory_format());
}

}  // namespace depthguard
