#include "depthguard/data/synth/dataset_writer.h"

#include <cmath>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "depthguard/core/errors.h"
#include "depthguard/data/data_error.h"
#include "depthguard/data/image_io.h"
#include "depthguard/data/synth/degradation_options.h"
#include "depthguard/data/synth/scene.h"
#include "depthguard/runtime/atomic_file.h"

namespace depthguard {

namespace fs = std::filesystem;

namespace {

nlohmann::json describe(const SynthDatasetOptions& o) {
  const auto& s = o.scenes();
  const auto& d = s.degradation();
  return {{"count", o.count()},
          {"test_fraction", o.test_fraction()},
          {"format", o.format()},
          {"height", s.height()},
          {"width", s.width()},
          {"seed", s.seed()},
          {"min_objects", s.min_objects()},
          {"max_objects", s.max_objects()},
          {"shadows", s.shadows()},
          {"holes", d.holes()},
          {"max_range", d.max_range()},
          {"pattern", choice_name(sparse_pattern_choices(), d.pattern())},
          {"valid_fraction", d.valid_fraction()}};
}

void write_text(const std::string& path, const std::string& text) {
  try {
    write_file_atomically(path, text);
  } catch (const std::runtime_error& e) {
    throw DataError(e.what());
  }
}

// Records the options, or checks that a resumed directory was written with the same ones.
void claim_directory(const SynthDatasetOptions& o) {
  const auto manifest = fs::path(o.out()) / "synth.json";
  const auto wanted = describe(o);
  if (fs::exists(manifest)) {
    std::ifstream f(manifest);
    const auto found = nlohmann::json::parse(f, nullptr, /*allow_exceptions=*/false);
    if (found != wanted) {
      throw InvalidArgument(o.out() + " holds a synthetic dataset written with other options (" +
                            manifest.string() + "); choose another output directory or remove it");
    }
    return;
  }
  write_text(manifest.string(), wanted.dump(2) + "\n");
}

}  // namespace

SynthDatasetResult write_synthetic_dataset(const SynthDatasetOptions& o,
                                           const std::function<bool(int64_t done)>& step) {
  if (o.format() != "png" && o.format() != "jpg") {
    throw InvalidArgument("SynthDatasetOptions: format '" + o.format() + "' is not one of png, jpg");
  }
  if (o.count() < 1) throw InvalidArgument("SynthDatasetOptions: count must be >= 1, got " + std::to_string(o.count()));
  if (!(o.test_fraction() >= 0 && o.test_fraction() < 1)) {
    throw InvalidArgument("SynthDatasetOptions: test_fraction must be in [0, 1), got " +
                          std::to_string(o.test_fraction()));
  }
  const fs::path root(o.out());
  fs::create_directories(root / "rgb");
  fs::create_directories(root / "depth");
  claim_directory(o);

  SynthDatasetResult result;
  std::string train, test;
  const auto n_test = static_cast<int64_t>(std::ceil(o.count() * o.test_fraction()));
  const double focal = synth::nyu_camera(o.scenes().width(), o.scenes().height()).fx;
  for (int64_t i = 0; i < o.count(); ++i) {
    const auto rgb = fmt::format("rgb/{:06}.{}", i, o.format());
    const auto depth = fmt::format("depth/{:06}.png", i);
    // A scene on disk is kept only when both files are whole (a copy or a disk may have cut one short).
    if (is_complete_image_file((root / rgb).string()) && is_complete_image_file((root / depth).string())) {
      ++result.kept;
    } else {
      const auto sample = render_synthetic(static_cast<uint64_t>(i), o.scenes());
      write_rgb((root / rgb).string(), sample.rgb);
      write_depth((root / depth).string(), sample.depth, 1000.0);
      ++result.written;
    }
    (i < o.count() - n_test ? train : test) += fmt::format("{} {} {:.4f}\n", rgb, depth, focal);
    if (!step(i + 1)) return result;
  }
  write_text((root / "train.txt").string(), train);
  write_text((root / "test.txt").string(), test);
  result.complete = true;
  return result;
}

}  // namespace depthguard
