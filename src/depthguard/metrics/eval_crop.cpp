#include "depthguard/metrics/eval_crop.h"

#include <torch/torch.h>

namespace depthguard {

const ChoiceTable<EvalCrop>& eval_crop_choices() {
  static const ChoiceTable<EvalCrop> table{{"none", EvalCrop::None},
                                           {"eigen_nyu", EvalCrop::EigenNyu},
                                           {"garg", EvalCrop::Garg},
                                           {"eigen_kitti", EvalCrop::EigenKitti}};
  return table;
}

namespace {

struct Window {
  int64_t top, bottom, left, right;  // half-open
};

Window window_of(int64_t h, int64_t w, EvalCrop crop) {
  const auto frac = [](double f, int64_t n) { return static_cast<int64_t>(f * n); };
  switch (crop) {
    case EvalCrop::None:
      return {0, h, 0, w};
    case EvalCrop::EigenNyu:
      return {45 * h / 480, 471 * h / 480, 41 * w / 640, 601 * w / 640};
    case EvalCrop::Garg:
      return {frac(0.40810811, h), frac(0.99189189, h), frac(0.03594771, w), frac(0.96405229, w)};
    case EvalCrop::EigenKitti:
      return {frac(0.3324324, h), frac(0.91351351, h), frac(0.0359477, w), frac(0.96405229, w)};
  }
  throw std::logic_error("unhandled EvalCrop");
}

}  // namespace

torch::Tensor eval_crop_mask(int64_t height, int64_t width, EvalCrop crop) {
  auto mask = torch::zeros({height, width}, torch::kBool);
  const auto win = window_of(height, width, crop);
  if (win.bottom > win.top && win.right > win.left) {
    mask.slice(0, win.top, win.bottom).slice(1, win.left, win.right).fill_(true);
  }
  return mask;
}

}  // namespace depthguard
