#include "depthguard/config/numerics_config.h"

#include <limits>

namespace depthguard {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kTiny = std::numeric_limits<double>::min();  // "> 0" as a closed range
}  // namespace

DepthHeadOptions read_depth_head_options(YamlSection& model) {
  const DepthHeadOptions defaults;
  return DepthHeadOptions()
      .kind(model.choice("head", head_kind_choices(), defaults.kind()))
      .max_depth(model.number("max_depth", defaults.max_depth(), kTiny, kInf))
      .min_depth(model.number("min_depth", defaults.min_depth(), kTiny, kInf));
}

LossConfig read_loss_config(YamlSection& loss) {
  LossConfig config;
  config.kind = loss.choice("name", loss_kind_choices(), config.kind);
  auto& s = config.silog;
  s.lambda(loss.number("lambda", s.lambda(), 0.0, 1.0))
      .alpha(loss.number("alpha", s.alpha(), kTiny, kInf))
      .eps(loss.number("eps", s.eps(), kTiny, kInf))
      .variance(loss.choice("variance", variance_kind_choices(), s.variance()))
      .reduction(loss.choice("reduction", silog_reduction_choices(), s.reduction()))
      .scope(loss.choice("scope", loss_scope_choices(), s.scope()));
  config.berhu.threshold(loss.number("berhu_threshold", config.berhu.threshold(), kTiny, 1.0));
  config.ssi.gradient_weight(
      loss.number("gradient_weight", config.ssi.gradient_weight(), 0.0, kInf));
  config.ssi.scales(loss.integer("scales", config.ssi.scales(), 1, 10));
  config.min_depth = loss.number("min_depth", config.min_depth, 0.0, kInf);
  config.max_depth = loss.number("max_depth", config.max_depth, 0.0, kInf);
  return config;
}

}  // namespace depthguard
