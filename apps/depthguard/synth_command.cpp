#include "synth_command.h"

#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "depthguard/core/choice.h"
#include "depthguard/core/errors.h"
#include "depthguard/data/synth/dataset_writer.h"
#include "depthguard/data/synth/degradation_options.h"
#include "depthguard/data/synth/synth_options.h"
#include "depthguard/report/progress_bar.h"
#include "depthguard/runtime/interrupt.h"
#include "number_checks.h"

namespace depthguard {

namespace {

struct SynthArgs {
  std::string out, format = "png", pattern = "dense";
  int64_t count = 100;
  int height = 240, width = 320, min_objects = 3, max_objects = 8;
  uint64_t seed = 0;
  double test_fraction = 0.1, holes = 0, max_range = 10, valid_fraction = 1;
  bool no_shadows = false;
};

void run(const SynthArgs& a) {
  const auto degradation = DegradationOptions()
                               .holes(a.holes)
                               .max_range(a.max_range)
                               .pattern(parse_choice(sparse_pattern_choices(), "--sparsity", a.pattern))
                               .valid_fraction(a.valid_fraction);
  const auto scenes = SynthOptions()
                          .height(a.height)
                          .width(a.width)
                          .seed(a.seed)
                          .min_objects(a.min_objects)
                          .max_objects(a.max_objects)
                          .shadows(!a.no_shadows)
                          .degradation(degradation);
  const auto options =
      SynthDatasetOptions().out(a.out).count(a.count).test_fraction(a.test_fraction).format(a.format).scenes(scenes);

  install_interrupt_handler();
  ProgressBar bar("synth", a.count);
  const auto result = write_synthetic_dataset(options, [&](int64_t) {
    bar.advance();
    return !interrupt_requested();
  });
  bar.finish();
  if (!result.complete) {
    throw Interrupted(fmt::format("interrupted: {} scenes on disk in {}; run the same command again to finish",
                                  result.kept + result.written, a.out));
  }
  spdlog::info("wrote {} scenes ({} already there) to {}: train.txt, test.txt", result.written,
               result.kept, a.out);
}

}  // namespace

void add_synth_command(CLI::App& app) {
  auto args = std::make_shared<SynthArgs>();
  auto* cmd = app.add_subcommand("synth", "Render synthetic RGB-D scenes to disk in the NYU layout");
  cmd->add_option("--out", args->out, "Output directory")->required();
  cmd->add_option("--count", args->count, "Number of scenes")->check(positive());
  cmd->add_option("--height", args->height, "Image height")->check(positive());
  cmd->add_option("--width", args->width, "Image width")->check(positive());
  cmd->add_option("--seed", args->seed, "Dataset seed: (seed, index) fixes each scene");
  cmd->add_option("--test-fraction", args->test_fraction, "Fraction of scenes in test.txt")
      ->check(CLI::Range(0.0, 0.99));
  cmd->add_option("--format", args->format, "RGB file format")->check(CLI::IsMember({"png", "jpg"}));
  cmd->add_option("--holes", args->holes, "Mean number of invalid blobs per depth map")
      ->check(non_negative());
  cmd->add_option("--max-range", args->max_range, "Depth beyond this (m) is invalid; 0 keeps all")
      ->check(non_negative());
  cmd->add_option("--sparsity", args->pattern, "Ground-truth pattern: dense, random or scanlines");
  cmd->add_option("--valid-fraction", args->valid_fraction,
                  "Fraction of pixels kept by the random/scanlines patterns")
      ->check(CLI::Range(1e-6, 1.0));
  cmd->add_option("--min-objects", args->min_objects, "Fewest objects per room")->check(non_negative());
  cmd->add_option("--max-objects", args->max_objects, "Most objects per room")->check(non_negative());
  cmd->add_flag("--no-shadows", args->no_shadows, "Render without shadow rays (faster)");
  cmd->callback([args] { run(*args); });
}

}  // namespace depthguard
