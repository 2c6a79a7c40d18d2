#include "depthguard/train/kernel_check.h"

#include <torch/torch.h>

#include "depthguard/guard/generator_keeper.h"
#include "depthguard/guard/kernel_audit.h"
#include "depthguard/losses/depth_loss.h"
#include "depthguard/runtime/autocast.h"
#include "depthguard/runtime/precision.h"

namespace depthguard {

namespace {

// A model of the same options holding `model`'s parameters and buffers: a data-parallel
// run's gradient hooks, on the original, must not fire for the check's backward.
DepthModel copy_of(DepthModel& model, const c10::Device& device, bool channels_last) {
  DepthModel copy(model->options);
  torch::NoGradGuard no_grad;
  auto params = model->named_parameters();
  for (auto& p : copy->named_parameters()) p.value().set_data(params[p.key()].detach().clone());
  auto buffers = model->named_buffers();
  for (auto& b : copy->named_buffers()) b.value().set_data(buffers[b.key()].detach().clone());
  copy->to(device);
  to_channels_last(*copy, channels_last);
  copy->train();
  return copy;
}

}  // namespace

AuditReport check_kernels(const TrainConfig& config, DepthModel& model, const at::Tensor& image, const at::Tensor& depth) {
  const bool channels_last = image.dim() == 4 && !image.is_contiguous() &&
                             image.is_contiguous(at::MemoryFormat::ChannelsLast);
  // Making the copy initialises its weights from the generator before they are overwritten: a
  // resumed run's stream must stay where its checkpoint put it.
  const GeneratorKeeper generators;
  auto copy = copy_of(model, image.device(), channels_last);
  const auto dtype = autocast_dtype(config.train.precision);
  // Scaled as the run's first step scales it: float16's gradients unscaled would be
  // subnormal, which kernels flush to zero (a precision question, not a kernel's).
  const double loss_scale = uses_loss_scaling(config.train) ? config.train.loss_scaler.init_scale() : 1.0;
  return audit_step(copy->parameters(), copy->buffers(), [&] {
    torch::Tensor pred;
    if (dtype) {
      const Autocast autocast(image.device().type(), *dtype);
      pred = copy->forward(image).to(torch::kFloat);
    } else {
      pred = copy->forward(image);
    }
    (depth_loss(config.loss, pred, depth).loss * loss_scale).backward();
  });
}

}  // namespace depthguard
