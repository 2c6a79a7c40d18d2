#include "depthguard/metrics/depth_metrics.h"

#include <algorithm>
#include <stdexcept>

#include <torch/torch.h>

#include "depthguard/core/errors.h"
#include "depthguard/metrics/eval_crop.h"

namespace depthguard {

namespace {

struct Field {
  const char* name;
  double DepthMetrics::*member;
};
constexpr Field kFields[] = {
    {"abs_rel", &DepthMetrics::abs_rel}, {"sq_rel", &DepthMetrics::sq_rel},
    {"rmse", &DepthMetrics::rmse},       {"rmse_log", &DepthMetrics::rmse_log},
    {"log10", &DepthMetrics::log10},     {"silog", &DepthMetrics::silog},
    {"d1", &DepthMetrics::d1},           {"d2", &DepthMetrics::d2},
    {"d3", &DepthMetrics::d3},
};

torch::Tensor as_image(const torch::Tensor& t, const char* what) {
  TORCH_CHECK(t.dim() >= 2, "evaluate_image: ", what, " must be [H, W], got ", t.sizes());
  return t.reshape({t.size(-2), t.size(-1)}).to(torch::kCPU, torch::kDouble);
}

double mean_of(const torch::Tensor& t) { return t.mean().item<double>(); }

DepthMetrics compute(const torch::Tensor& g, const torch::Tensor& p) {
  DepthMetrics m;
  const auto thresh = torch::max(g / p, p / g);
  m.d1 = mean_of((thresh < 1.25).to(torch::kDouble));
  m.d2 = mean_of((thresh < 1.25 * 1.25).to(torch::kDouble));
  m.d3 = mean_of((thresh < 1.25 * 1.25 * 1.25).to(torch::kDouble));
  const auto diff = g - p;
  m.abs_rel = mean_of(diff.abs() / g);
  m.sq_rel = mean_of(diff * diff / g);
  m.rmse = std::sqrt(mean_of(diff * diff));
  const auto err = torch::log(p) - torch::log(g);
  m.rmse_log = std::sqrt(mean_of(err * err));
  const auto centred = err - err.mean();
  m.silog = 100.0 * std::sqrt(mean_of(centred * centred));
  m.log10 = mean_of((torch::log10(p) - torch::log10(g)).abs());
  return m;
}

}  // namespace

std::vector<std::pair<std::string, double>> metric_fields(const DepthMetrics& m) {
  std::vector<std::pair<std::string, double>> out;
  for (const auto& f : kFields) out.emplace_back(f.name, m.*f.member);
  return out;
}

DepthMetrics metrics_from_fields(const std::vector<std::pair<std::string, double>>& fields) {
  DepthMetrics m;
  for (const auto& f : kFields) {
    const auto it = std::find_if(fields.begin(), fields.end(), [&](const auto& kv) { return kv.first == f.name; });
    if (it == fields.end()) throw std::invalid_argument(std::string("metric ") + f.name + " missing");
    m.*f.member = it->second;
  }
  for (const auto& [name, value] : fields) {
    if (std::none_of(std::begin(kFields), std::end(kFields), [&](const auto& f) { return name == f.name; })) {
      throw std::invalid_argument("'" + name + "' is not a depth metric");
    }
  }
  return m;
}

std::optional<ImageMetrics> evaluate_image(const torch::Tensor& pred, const torch::Tensor& gt,
                                           const EvalOptions& options) {
  if (!(options.min_depth() > 0 && options.max_depth() > options.min_depth())) {
    throw InvalidArgument("EvalOptions: need 0 < min_depth < max_depth, got min_depth " +
                      std::to_string(options.min_depth()) + ", max_depth " +
                      std::to_string(options.max_depth()));
  }
  const auto g = as_image(gt, "ground truth");
  auto p = as_image(pred, "prediction");
  TORCH_CHECK(p.sizes() == g.sizes(), "evaluate_image: prediction ", p.sizes(),
              " and ground truth ", g.sizes(), " differ in size");

  ImageMetrics result;
  result.nonfinite_predictions = (~torch::isfinite(p)).sum().item<int64_t>();
  // NaN first: clamp() passes NaN through; it maps -inf and +inf to the bounds.
  p = torch::where(torch::isnan(p), torch::full_like(p, options.min_depth()), p)
          .clamp(options.min_depth(), options.max_depth());

  const auto valid = (g > options.min_depth()) & (g < options.max_depth()) &
                     eval_crop_mask(g.size(0), g.size(1), options.crop());
  result.valid_pixels = valid.sum().item<int64_t>();
  if (result.valid_pixels == 0) return std::nullopt;
  result.metrics = compute(g.masked_select(valid), p.masked_select(valid));
  return result;
}

void MetricsAverage::add(const std::optional<ImageMetrics>& image) {
  if (!image) {
    ++skipped_;
    return;
  }
  ++images_;
  nonfinite_ += image->nonfinite_predictions;
  for (const auto& f : kFields) sum_.*f.member += image->metrics.*f.member;
}

std::optional<DepthMetrics> MetricsAverage::mean() const {
  if (images_ == 0) return std::nullopt;
  DepthMetrics m;
  for (const auto& f : kFields) m.*f.member = sum_.*f.member / static_cast<double>(images_);
  return m;
}

}  // namespace depthguard
