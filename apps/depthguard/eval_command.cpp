#include "eval_command.h"

#include <filesystem>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "depthguard/config/data_config.h"
#include "depthguard/config/train_config.h"
#include "depthguard/core/errors.h"
#include "depthguard/metrics/depth_metrics.h"
#include "depthguard/report/metrics_table.h"
#include "depthguard/report/progress_bar.h"
#include "depthguard/runtime/atomic_file.h"
#include "depthguard/runtime/interrupt.h"
#include "depthguard/train/evaluator.h"
#include "depthguard/train/saved_model.h"
#include "device_option.h"
#include "number_checks.h"

namespace depthguard {

namespace {

struct EvalArgs {
  std::string checkpoint, data, out;
  std::string device = "auto";
  std::vector<std::string> overrides;
  bool median_baseline = false;
  int64_t baseline_samples = 64;
};

nlohmann::json to_json(const MetricsAverage& a, const DepthMetrics& mean) {
  nlohmann::json j{{"images", a.images()},
                   {"skipped", a.skipped()},
                   {"unreadable", a.unreadable()},
                   {"nonfinite_predictions", a.nonfinite_predictions()}};
  for (const auto& [name, value] : metric_fields(mean)) j[name] = value;
  return j;
}

// Metrics over no image are undefined: an error naming the data, never a table of zeros.
DepthMetrics mean_or_throw(const MetricsAverage& a, const std::string& what) {
  if (const auto m = a.mean()) return *m;
  throw std::runtime_error(fmt::format("{}: none of the {} images has valid ground truth; no metrics (nothing written)",
                                       what, a.skipped()));
}

void run(const EvalArgs& a) {
  namespace fs = std::filesystem;
  auto root = saved_config(a.checkpoint);
  if (!a.data.empty()) root["eval"]["data"] = load_config(a.data);
  for (const auto& o : a.overrides) apply_override(root, o);
  const auto config = read_train_config(root);
  auto model = load_model(a.checkpoint, config.model, config.train.channels_last, device_option_value(a.device));
  const auto data = make_dataset(config.eval.data);

  install_interrupt_handler();
  ProgressBar bar("eval", data->size());
  const auto policy = config.eval.data.loader.on_bad_sample();
  const auto result = evaluate_model(model, *data, {config.eval.height, config.eval.width}, config.eval.metrics, policy,
                                     [&](int64_t, int64_t) {
                                       bar.advance();
                                       return !interrupt_requested();
                                     });
  bar.finish();
  if (interrupt_requested()) throw Interrupted("evaluation interrupted; nothing written");

  const auto model_mean = mean_or_throw(result, "the evaluation data (eval.data)");
  std::vector<std::pair<std::string, DepthMetrics>> rows{{"model", model_mean}};
  nlohmann::json report{{"checkpoint", a.checkpoint}, {"model", to_json(result, model_mean)}};
  if (a.median_baseline) {
    const double median = median_depth(*make_dataset(config.data), a.baseline_samples, config.data.loader.on_bad_sample());
    const auto baseline = evaluate_constant(median, *data, config.eval.metrics, policy);
    const auto baseline_mean = mean_or_throw(baseline, "the evaluation data (eval.data)");
    rows.emplace_back(fmt::format("median {:.3f} m", median), baseline_mean);
    report["median_baseline"] = to_json(baseline, baseline_mean);
    report["median_baseline"]["depth"] = median;
  }
  auto table = metrics_table(rows);
  if (result.nonfinite_predictions() > 0) {
    const auto warning = fmt::format(
        "WARNING: {} predicted depths were NaN or inf and were clamped to [{}, {}] m before the metrics: the model "
        "is diverged or broken, and these figures do not describe a working model.",
        result.nonfinite_predictions(), config.eval.metrics.min_depth(), config.eval.metrics.max_depth());
    spdlog::warn("{}", warning);
    table += "\n**" + warning + "**\n";
  }
  fmt::print("{}", table);
  fmt::print("{} images evaluated, {} without valid ground truth skipped, {} unreadable skipped, {} non-finite "
             "predictions clamped\n",
             result.images(), result.skipped(), result.unreadable(), result.nonfinite_predictions());
  if (a.median_baseline) {
    const auto& m = rows[0].second;
    const auto& b = rows[1].second;
    fmt::print("abs_rel is {:.1f}% of the median baseline's; d1 {:.3f}\n", 100.0 * m.abs_rel / b.abs_rel, m.d1);
  }

  const auto out = a.out.empty() ? fs::path(a.checkpoint).parent_path().parent_path() : fs::path(a.out);
  fs::create_directories(out);
  write_file_atomically((out / "eval.json").string(), report.dump(2) + "\n");
  write_file_atomically((out / "eval.md").string(), "# Evaluation of " + a.checkpoint + "\n\n" + table);
  spdlog::info("wrote {} and {}", (out / "eval.json").string(), (out / "eval.md").string());
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand("eval", "Eigen metrics of a checkpoint on held-out data");
  cmd->add_option("--checkpoint", args->checkpoint, "A checkpoint written by train")->required();
  cmd->add_option("--data", args->data,
                  "YAML file holding a data mapping (the keys of the data section) to evaluate on "
                  "(default: the run's eval.data)");
  cmd->add_option("--set", args->overrides, "Override a key of the run's config, e.g. --set eval.crop=eigen_nyu");
  cmd->add_option("--out", args->out, "Where eval.json and eval.md go (default: the checkpoint's run directory)");
  cmd->add_flag("--median-baseline", args->median_baseline,
                "Also evaluate predicting the training set's median depth everywhere");
  cmd->add_option("--baseline-samples", args->baseline_samples, "Training samples the median is taken over")
      ->check(positive());
  add_device_option(cmd, args->device);
  cmd->callback([args] { run(*args); });
}

}  // namespace depthguard
