#pragma once
// The whole configuration of a training run: the sections model, data, eval, loss,
// optimizer, schedule, train and guard (docs/config.md lists every key).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "depthguard/config/data_config.h"
#include "depthguard/config/yaml_section.h"
#include "depthguard/dist/dist_options.h"
#include "depthguard/guard/guard_options.h"
#include "depthguard/losses/loss_options.h"
#include "depthguard/metrics/eval_options.h"
#include "depthguard/models/model_options.h"
#include "depthguard/optim/loss_scaler_options.h"
#include "depthguard/optim/lr_schedule_options.h"
#include "depthguard/optim/optimizer_options.h"
#include "depthguard/runtime/device.h"
#include "depthguard/runtime/precision.h"

namespace depthguard {

struct EvalConfig {
  /// Evaluate every `interval` steps (and at the end); 0 = only at the end.
  int64_t interval = 0;
  /// Network input size at test time (each rounded down to a multiple of 32); 0 = the
  /// image's own size, rounded down.
  int height = 0, width = 0;
  /// Held-out samples drawn at each evaluation (image, ground truth, prediction, error):
  /// the first `samples` of the evaluation data, to RUN/samples/ and TensorBoard.
  int64_t samples = 4;
  EvalOptions metrics;
  DataConfig data;
};

struct TrainLoopConfig {
  int64_t steps = 0;   ///< optimiser steps; 0 = epochs * batches per epoch
  int64_t epochs = 1;  ///< used when steps = 0
  uint64_t seed = 0;   ///< weights, shuffling and augmentation
  int threads = 0;     ///< intra-op threads; 0 = the CLI's --threads (default all cores)
  int64_t log_interval = 10;
  int64_t checkpoint_interval = 0;  ///< steps between checkpoints; 0 = at evaluations and the end
  /// NHWC memory format for images and weights: true, false, or none for auto (the faster
  /// layout of the run's device: use_channels_last, runtime/cpu_kernels.h).
  std::optional<bool> channels_last;
  std::string device = "auto";      ///< auto, cpu, cuda or cuda:N (runtime/device.h)
  Precision precision = Precision::Fp32;
  bool tensorboard = true;  ///< write TensorBoard event files into RUN/tb/
  /// Dynamic loss scaling: auto = for fp16 only (optim/loss_scaler.h).
  LossScaling loss_scaling = LossScaling::Auto;
  LossScalerOptions loss_scaler;
};

struct TrainConfig {
  ModelOptions model;
  DataConfig data;
  EvalConfig eval;
  LossConfig loss;
  OptimizerOptions optimizer;
  ScheduleOptions schedule;
  TrainLoopConfig train;
  GuardOptions guard;
  /// Data parallelism's timeout and bucket size (rank and world size come from the
  /// launcher: `train --nproc`, or torchrun's environment).
  DistOptions dist;
  /// Every key with the value used, defaults included: what a run saves as config.yaml.
  YAML::Node resolved;
};

/// A YAML file with `overrides` ("dotted.key=value", the value parsed as YAML) applied.
/// Throws ConfigError naming the file (missing, not YAML) or the override (no '=', a key
/// path through a non-mapping).
YAML::Node load_config(const std::string& path, const std::vector<std::string>& overrides = {});
void apply_override(YAML::Node& root, const std::string& assignment);

/// The run configuration in `root`. Throws ConfigError naming the first unknown key or bad
/// value (with the allowed values or range).
TrainConfig read_train_config(const YAML::Node& root);

/// The device train.device names on this machine. Resolved when training starts, not when
/// the config is read: eval and predict read a run's saved config on other machines.
/// Throws ConfigError naming train.device when it names a GPU this process cannot use.
/// Throws ConfigError naming train.precision for fp16 on a device other than CUDA.
c10::Device training_device(const TrainLoopConfig& train);

/// Whether the run scales its loss (train.loss_scaling; auto: for fp16).
bool uses_loss_scaling(const TrainLoopConfig& train);

/// Only the model section of a saved configuration (what eval and predict need).
ModelOptions read_model_options(YamlSection& model);

}  // namespace depthguard
