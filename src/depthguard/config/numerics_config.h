#pragma once
// The config keys of the numerics switches: the head (in the model section) and the loss.
// Callers own the section and call finish() on it after reading their other keys.
#include "depthguard/config/yaml_section.h"
#include "depthguard/losses/loss_options.h"
#include "depthguard/numerics/depth_head_options.h"

namespace depthguard {

/// Keys: head (naive|fused|exp|softplus), max_depth (> 0), min_depth (> 0, softplus offset).
DepthHeadOptions read_depth_head_options(YamlSection& model);

/// Keys: name (silog|l1|berhu|ssi), lambda [0, 1], alpha (> 0), eps (> 0),
/// variance (moments|unbiased|population), reduction (sqrt|sqrt_eps|none),
/// scope (batch|image), berhu_threshold (0, 1], gradient_weight (>= 0), scales [1, 10],
/// min_depth (>= 0), max_depth (>= 0, 0 = no upper bound).
LossConfig read_loss_config(YamlSection& loss);

}  // namespace depthguard
