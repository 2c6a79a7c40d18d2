#include "depthguard/data/synth/synthetic_scenes.h"

#include "depthguard/core/errors.h"
#include "depthguard/data/random.h"
#include "depthguard/data/synth/gt_degradation.h"
#include "depthguard/data/synth/raycaster.h"

namespace depthguard {

namespace {

void validate(const SynthOptions& o) {
  if (o.height() < 1 || o.width() < 1) {
    throw InvalidArgument("SynthOptions: height and width must be >= 1, got " + std::to_string(o.height()) +
                          "x" + std::to_string(o.width()));
  }
  const double f = o.degradation().valid_fraction();
  if (!(f > 0 && f <= 1)) {
    throw InvalidArgument("DegradationOptions: valid_fraction must be in (0, 1], got " + std::to_string(f));
  }
  if (o.min_objects() < 0 || o.max_objects() < o.min_objects()) {
    throw InvalidArgument("SynthOptions: need 0 <= min_objects <= max_objects, got min_objects " +
                          std::to_string(o.min_objects()) + ", max_objects " + std::to_string(o.max_objects()));
  }
}

}  // namespace

RgbdSample render_synthetic(uint64_t index, const SynthOptions& options) {
  validate(options);
  Random scene_rng({options.seed(), 1, index});
  const auto scene = synth::random_scene(scene_rng, options.width(), options.height(),
                                         options.min_objects(), options.max_objects());
  RgbdSample sample;
  synth::render(scene, options.shadows(), sample.rgb, sample.depth);
  Random gt_rng({options.seed(), 2, index});
  degrade_depth(sample.depth, gt_rng, options.degradation());
  sample.id = "synth/" + std::to_string(index);
  sample.focal = scene.camera.fx;
  return sample;
}

}  // namespace depthguard
