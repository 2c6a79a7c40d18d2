#include "predict_command.h"

#include <filesystem>
#include <memory>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>
#include <spdlog/spdlog.h>

#include "depthguard/config/train_config.h"
#include "depthguard/core/choice.h"
#include "depthguard/core/errors.h"
#include "depthguard/data/image_io.h"
#include "depthguard/report/depth_colormap.h"
#include "depthguard/report/progress_bar.h"
#include "depthguard/runtime/interrupt.h"
#include "depthguard/train/evaluator.h"
#include "depthguard/train/saved_model.h"
#include "device_option.h"
#include "number_checks.h"

namespace depthguard {

namespace {

struct PredictArgs {
  std::string checkpoint, out, colormap = "turbo";
  std::string device = "auto";
  std::vector<std::string> images;
  int height = -1, width = -1;
};

// Which setting chose the network size, for an error about it.
std::string size_setting(const PredictArgs& a, const PredictSize& size) {
  const auto named = [](int requested, int used, const char* option, const char* key) {
    return requested >= 0 ? fmt::format("{} {}", option, used) : fmt::format("the run's {} {}", key, used);
  };
  return named(a.height, size.height, "--height", "eval.height") + ", " +
         named(a.width, size.width, "--width", "eval.width") + " (0: the image's own size)";
}

bool out_of_memory(const std::exception& e) {
  const std::string what = e.what();
  return dynamic_cast<const std::bad_alloc*>(&e) ||
         what.find("not enough memory") != std::string::npos ||    // LibTorch's CPU allocator
         what.find("Insufficient memory") != std::string::npos ||  // OpenCV
         what.find("Failed to allocate") != std::string::npos;
}

// A network size beyond this machine's memory is an error naming the setting that chose
// it, not the allocator's message with a stack trace.
torch::Tensor predict_within_memory(DepthModel& model, const cv::Mat& rgb, const PredictSize& size,
                                    const PredictArgs& a, const std::string& path) {
  try {
    return predict_depth(model, rgb, size);
  } catch (const std::exception& e) {
    if (!out_of_memory(e)) throw;
    throw InvalidArgument(fmt::format("{}: the network input for {} ({}x{}) needs more memory than this machine can "
                                      "give; use a smaller --height and --width",
                                      size_setting(a, size), path, rgb.rows, rgb.cols));
  }
}

void run(const PredictArgs& a) {
  namespace fs = std::filesystem;
  const auto map = parse_choice(color_map_choices(), "--colormap", a.colormap);
  std::set<std::string> stems;
  for (const auto& image : a.images) {
    if (!stems.insert(fs::path(image).stem().string()).second) {
      throw InvalidArgument(image + ": another input has the same file name; outputs would overwrite each other");
    }
  }
  const auto config = read_train_config(saved_config(a.checkpoint));
  auto model = load_model(a.checkpoint, config.model, config.train.channels_last, device_option_value(a.device));
  // The network size: as given, else the run's eval size (0 = each image's own).
  const PredictSize size{a.height >= 0 ? a.height : config.eval.height, a.width >= 0 ? a.width : config.eval.width};
  fs::create_directories(a.out);

  install_interrupt_handler();
  ProgressBar bar("predict", static_cast<int64_t>(a.images.size()));
  std::vector<std::string> unusable;
  for (const auto& path : a.images) {
    if (interrupt_requested()) throw Interrupted("predict interrupted; the finished images are in " + a.out);
    const auto rgb = read_rgb(path);
    const auto depth = predict_within_memory(model, rgb, size, a, path);
    // exp() of the log-depth is positive and finite for a working model; NaN, inf or 0 m
    // means a diverged one, and a map of them is no prediction: write nothing for it.
    const int64_t bad = (~(torch::isfinite(depth) & (depth > 0))).sum().item<int64_t>();
    if (bad > 0) {
      spdlog::warn("{}: {} of {} predicted depths are NaN, inf or 0 m; nothing written for it", path, bad,
                   depth.numel());
      unusable.push_back(path);
      bar.advance();
      continue;
    }
    const cv::Mat metres(rgb.rows, rgb.cols, CV_32FC1, depth.data_ptr<float>());
    const auto stem = (fs::path(a.out) / fs::path(path).stem()).string();
    write_depth(stem + ".png", metres, 1000.0);
    write_rgb(stem + "_color.png", colorize_depth(metres, map));
    bar.advance();
  }
  bar.finish();
  spdlog::info("wrote {} depth maps (<name>.png, 16-bit millimetres) and pictures (<name>_color.png) to {}",
               a.images.size() - unusable.size(), a.out);
  if (!unusable.empty()) {
    throw std::runtime_error(fmt::format("{} of {} predictions were not usable depth (NaN, inf or 0 m), nothing "
                                         "written for them: {}; is {} a diverged checkpoint?",
                                         unusable.size(), a.images.size(), fmt::join(unusable, ", "), a.checkpoint));
  }
}

}  // namespace

void add_predict_command(CLI::App& app) {
  auto args = std::make_shared<PredictArgs>();
  auto* cmd = app.add_subcommand("predict", "Predict depth maps for image files (any size, colour or greyscale)");
  cmd->add_option("--checkpoint", args->checkpoint, "A checkpoint written by train")->required();
  cmd->add_option("images", args->images, "Image files (PNG, JPEG, ...)")->required();
  cmd->add_option("--out", args->out, "Output directory")->required();
  cmd->add_option("--colormap", args->colormap, "turbo or magma");
  cmd->add_option("--height", args->height,
                  "Network input height (rounded down to a multiple of 32; 0 = the image's own; "
                  "default: the run's eval.height)")
      ->check(non_negative());
  cmd->add_option("--width", args->width, "Network input width (as --height)")->check(non_negative());
  add_device_option(cmd, args->device);
  cmd->callback([args] { run(*args); });
}

}  // namespace depthguard
