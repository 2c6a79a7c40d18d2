#include "depthguard/models/conv_flops.h"

#include <cstring>

#include <ATen/record_function.h>
#include <torch/torch.h>

namespace depthguard {

namespace {

thread_local double counted = 0;

// aten::convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups)
std::unique_ptr<at::ObserverContext> count_convolution(const at::RecordFunction& fn) {
  if (std::strcmp(fn.name(), "aten::convolution") != 0) return nullptr;
  const auto in = fn.inputs();
  if (in.size() < 9 || !in[0].isTensor() || !in[1].isTensor()) return nullptr;
  const auto& input = in[0].toTensor();
  const auto& weight = in[1].toTensor();
  double per_output = 1;  // multiply-adds per output element (plain) or per input element (transposed)
  for (int64_t d = 1; d < weight.dim(); ++d) per_output *= static_cast<double>(weight.size(d));
  if (in[6].toBool()) {
    // Transposed: every input element is spread over Cout/groups * kernel outputs.
    counted += 2.0 * static_cast<double>(input.numel()) * per_output;
    return nullptr;
  }
  const auto stride = in[3].toIntVector(), padding = in[4].toIntVector(), dilation = in[5].toIntVector();
  double outputs = static_cast<double>(input.size(0) * weight.size(0));
  for (size_t d = 0; d + 2 < static_cast<size_t>(input.dim()); ++d) {
    const int64_t k = weight.size(static_cast<int64_t>(d) + 2);
    const int64_t span = dilation[d % dilation.size()] * (k - 1) + 1;
    outputs *= static_cast<double>((input.size(static_cast<int64_t>(d) + 2) + 2 * padding[d % padding.size()] - span) /
                                       stride[d % stride.size()] +
                                   1);
  }
  counted += 2.0 * outputs * per_output;
  return nullptr;
}

}  // namespace

double convolution_flops(const std::function<void()>& fn) {
  counted = 0;
  const auto handle = at::addThreadLocalCallback(
      at::RecordFunctionCallback(count_convolution).needsInputs(true).scopes({at::RecordScope::FUNCTION}));
  try {
    fn();
  } catch (...) {
    at::removeCallback(handle);
    throw;
  }
  at::removeCallback(handle);
  return counted;
}

}  // namespace depthguard
