#include "depthguard/config/numerics_config.h"


#include "depthguard/config/yaml_section.h"

namespace depthguard {

DepthHeadOptions read_depth_head_options(YamlSection& model) {
  const DepthHeadOptions defaults;
  return DepthHeadOptions()
      .kind(model.choice("head", head_kind_choices(), defaults.kind()))
      .max_depth(model.number("max_depth", defaults.max_depth(), kAboveZero, kUnbounded))
      .min_depth(model.number("min_depth", defaults.min_depth(), kAboveZero, kUnbounded));
}

LossConfig read_loss_config(YamlSection& loss) {
  LossConfig config;
  config.kind = loss.choice("name", loss_kind_choices(), config.kind);
  auto& s = config.silog;
  s.lambda(loss.number("lambda", s.lambda(), 0.0, 1.0))
      .alpha(loss.number("alpha", s.alpha(), kAboveZero, kUnbounded))
      .eps(loss.number("eps", s.eps(), kAboveZero, kUnbounded))
      .variance(loss.choice("variance", variance_kind_choices(), s.variance()))
      .reduction(loss.choice("reduction", silog_reduction_choices(), s.reduction()))
      .scope(loss.choice("scope", loss_scope_choices(), s.scope()));
  config.berhu.threshold(loss.number("berhu_threshold", config.berhu.threshold(), kAboveZero, 1.0));
  config.ssi.gradient_weight(
      loss.number("gradient_weight", config.ssi.gradient_weight(), 0.0, kUnbounded));
  config.ssi.scales(loss.integer("scales", config.ssi.scales(), 1, 10));
  config.min_depth = loss.number("min_depth", config.min_depth, 0.0, kUnbounded);
  config.max_depth = loss.number("max_depth", config.max_depth, 0.0, kUnbounded);
  return config;
}

}  // namespace depthguard
