#include "depthguard/config/train_config.h"

#include <filesystem>
#include <limits>

#include <fmt/format.h>
#include <torch/version.h>

#include "depthguard/config/numerics_config.h"
#include "depthguard/config/yaml_section.h"
#include "depthguard/models/swin_v2_encoder.h"
#include "depthguard/runtime/autocast.h"

namespace depthguard {

namespace {

// The loss scale is a float32 (optim/loss_scaler.h).
constexpr double kFloat32Max = 3.4028234663852886e38;

OptimizerOptions read_optimizer(YamlSection& s) {
  const OptimizerOptions d;
  return OptimizerOptions()
      .kind(s.choice("name", optimizer_kind_choices(), d.kind()))
      .lr(s.number("lr", d.lr(), 0, 10))
      .weight_decay(s.number("weight_decay", d.weight_decay(), 0, 10))
      .momentum(s.number("momentum", d.momentum(), 0, 1))
      .nesterov(s.get<bool>("nesterov", d.nesterov()))
      .beta1(s.number("beta1", d.beta1(), 0, 0.999999))
      .beta2(s.number("beta2", d.beta2(), 0, 0.999999))
      .eps(s.number("eps", d.eps(), 1e-30, 1))
      .grad_clip(s.number("grad_clip", d.grad_clip(), 0, kUnbounded))
      .layer_decay(s.number("layer_decay", d.layer_decay(), kAboveZero, 1));
}

ScheduleOptions read_schedule(YamlSection& s) {
  const ScheduleOptions d;
  return ScheduleOptions()
      .kind(s.choice("name", schedule_kind_choices(), d.kind()))
      .warmup_steps(s.integer("warmup_steps", d.warmup_steps(), 0, kMaxCount))
      .warmup_factor(s.number("warmup_factor", d.warmup_factor(), 0, 1))
      .step_size(s.integer("step_size", d.step_size(), 1, kMaxCount))
      .gamma(s.number("gamma", d.gamma(), 0, 1))
      .power(s.number("power", d.power(), 0, 100))
      .end_lr(s.number("end_lr", d.end_lr(), 0, 10))
      .pct_start(s.number("pct_start", d.pct_start(), 0, 1))
      .div_factor(s.number("div_factor", d.div_factor(), 1, 1e9))
      .final_div_factor(s.number("final_div_factor", d.final_div_factor(), 1, 1e12));
}

TrainLoopConfig read_loop(YamlSection& s) {
  TrainLoopConfig c;
  c.steps = s.integer("steps", c.steps, 0, kMaxCount);
  c.epochs = s.integer("epochs", c.epochs, 1, kMaxCount);
  c.seed = static_cast<uint64_t>(s.integer("seed", 0, 0, std::numeric_limits<int64_t>::max()));
  c.threads = static_cast<int>(s.integer("threads", c.threads, 0, 4096));
  c.log_interval = s.integer("log_interval", c.log_interval, 1, kMaxCount);
  c.checkpoint_interval = s.integer("checkpoint_interval", c.checkpoint_interval, 0, kMaxCount);
  if (const auto layout = s.get<std::string>("channels_last", "auto"); layout != "auto") {
    try {
      c.channels_last = s.get<bool>("channels_last", true);
    } catch (const ConfigError&) {
      throw ConfigError(s.key_path("channels_last") + ": '" + layout + "' is not one of auto, true, false");
    }
  }
  c.device = s.get<std::string>("device", c.device);
  if (!is_device_name(c.device)) {
    throw ConfigError(s.key_path("device") + ": '" + c.device + "' is not one of auto, cpu, cuda, cuda:N");
  }
  c.precision = s.choice("precision", precision_choices(), c.precision);
  c.tensorboard = s.get<bool>("tensorboard", c.tensorboard);
  c.loss_scaling = s.choice("loss_scaling", loss_scaling_choices(), c.loss_scaling);
  const LossScalerOptions d;
  c.loss_scaler.init_scale(s.number("init_scale", d.init_scale(), 1e-30, kFloat32Max))
      .growth_factor(s.number("growth_factor", d.growth_factor(), 1.000001, 1e6))
      .backoff_factor(s.number("backoff_factor", d.backoff_factor(), 1e-6, 0.999999))
      .growth_interval(s.integer("growth_interval", d.growth_interval(), 1, kMaxCount));
  return c;
}

DistOptions read_dist(YamlSection& s) {
  const DistOptions d;
  return DistOptions()
      .timeout_s(s.number("timeout_s", d.timeout_s(), 1, 86400))
      .bucket_bytes(static_cast<int64_t>(s.number("bucket_mb", static_cast<double>(d.bucket_bytes() >> 20), 0.001,
                                                  4096) *
                                         (1 << 20)));
}

// 0 turns spike warnings off; a ratio of 1 or less would call every step above its median one.
double spike_ratio(YamlSection& s, double fallback) {
  const double ratio = s.number("spike_ratio", fallback, 0, 1e6);
  if (ratio > 0 && ratio <= 1) {
    throw ConfigError(fmt::format("{}: {:g} must be 0 (off) or above 1 (a spike is that many times the running median)",
                                  s.key_path("spike_ratio"), ratio));
  }
  return ratio;
}

GuardOptions read_guard(YamlSection& s) {
  const GuardOptions d;
  return GuardOptions()
      .policy(s.choice("policy", guard_policy_choices(), d.policy()))
      .max_skips(s.integer("max_skips", d.max_skips(), 0, kMaxCount))
      .lr_factor(s.number("lr_factor", d.lr_factor(), 0, 1))
      .snapshot_interval(s.integer("snapshot_interval", d.snapshot_interval(), 1, kMaxCount))
      .forensics(s.get<bool>("forensics", d.forensics()))
      .kernel_check(s.get<bool>("kernel_check", d.kernel_check()))
      .min_loss_scale(s.number("min_loss_scale", d.min_loss_scale(), 0, kFloat32Max))
      .max_scale_backoffs(s.integer("max_scale_backoffs", d.max_scale_backoffs(), 0, kMaxCount))
      .on_transient(s.choice("on_transient", transient_policy_choices(), d.on_transient()))
      .replays(s.integer("replays", d.replays(), 1, 100))
      .spike_ratio(spike_ratio(s, d.spike_ratio()))
      .spike_mads(s.number("spike_mads", d.spike_mads(), 0, 1e6))
      .spike_window(s.integer("spike_window", d.spike_window(), 1, 100000))
      .spike_warmup(s.integer("spike_warmup", d.spike_warmup(), 1, kMaxCount))
      .inject_site(s.choice("inject", inject_site_choices(), d.inject_site()))
      .inject_value(s.choice("inject_value", inject_value_choices(), d.inject_value()))
      .inject_step(s.integer("inject_step", d.inject_step(), 0, kMaxCount))
      .inject_runs(s.integer("inject_runs", d.inject_runs(), 0, kMaxCount));
}

// Held-out data by default: for synthetic training data, the next 64 scenes after the
// training ones; other datasets must name their test split (required keys error otherwise).
DataConfig eval_data_defaults(const DataConfig& train) {
  DataConfig d = train;
  d.loader.augment(std::nullopt).shuffle(false).batch_size(1).drop_last(false);
  if (train.kind == DatasetKind::Synthetic) {
    d.first_index = train.first_index + train.count;
    d.count = 64;
  } else {
    d.split.clear();
    d.root.clear();
    d.depth_root.clear();
  }
  return d;
}

EvalConfig read_eval(YamlSection& s, const DataConfig& train, const ModelOptions& model) {
  EvalConfig c;
  c.interval = s.integer("interval", c.interval, 0, kMaxCount);
  c.height = static_cast<int>(s.integer("height", 0, 0, 1 << 15));
  c.width = static_cast<int>(s.integer("width", 0, 0, 1 << 15));
  c.samples = s.integer("samples", c.samples, 0, 64);
  c.metrics.min_depth(s.number("min_depth", c.metrics.min_depth(), kAboveZero, kUnbounded))
      .max_depth(s.number("max_depth", model.head().max_depth(), 0, kUnbounded))
      .crop(s.choice("crop", eval_crop_choices(), c.metrics.crop()));
  if (!(c.metrics.min_depth() < c.metrics.max_depth())) {
    throw ConfigError(s.key_path("min_depth") + " must be below " + s.key_path("max_depth"));
  }
  auto data = s.section("data");
  c.data = read_data_config(data, eval_data_defaults(train));
  data.finish();
  return c;
}


// The models halve the image five times, so a training image side must be a multiple of
// 32. Checked here, where the key can be named, when the config fixes the size (a crop, or
// synthetic scenes without one); evaluation and predict resize to such a size themselves.
void check_training_image_size(const DataConfig& data) {
  const auto check = [](int64_t side, const char* key) {
    if (side % 32 != 0) {
      throw ConfigError(fmt::format("{}: {} is not a multiple of 32, which the models need (use {} or {})", key, side,
                                    side / 32 * 32 > 0 ? side / 32 * 32 : 32, (side / 32 + 1) * 32));
    }
  };
  const auto& crop = data.loader.augment();
  if (crop && crop->crop_height() > 0) check(crop->crop_height(), "data.augment.crop_height");
  else if (data.kind == DatasetKind::Synthetic) check(data.synthetic.height(), "data.synthetic.height");
  if (crop && crop->crop_width() > 0) check(crop->crop_width(), "data.augment.crop_width");
  else if (data.kind == DatasetKind::Synthetic) check(data.synthetic.width(), "data.synthetic.width");
}

}  // namespace

namespace {

// swinv2-mim's encoder: a published size, then its windows and stochastic depth.
SwinV2Options read_swin_options(YamlSection& model) {
  auto o = swin_v2_preset(model.choice("backbone", swin_size_choices(), SwinSize::Tiny));
  o.window_sizes(model.stage_integers("window_size", o.window_sizes(), 1, 1024));
  o.pretrain_window_sizes(model.stage_integers("pretrain_window_size", o.pretrain_window_sizes(), 0, 1024));
  o.use_shift(model.per_stage<bool>("use_shift", o.use_shift()));
  o.drop_path_rate(model.number("drop_path_rate", o.drop_path_rate(), 0, 0.99));
  return o;
}

}  // namespace

ModelOptions read_model_options(YamlSection& model) {
  ModelOptions m;
  m.arch(model.choice("arch", architecture_choices(), m.arch()));
  if (m.arch() == Architecture::SwinV2Mim) {
    m.swin(read_swin_options(model));
  } else {
    m.width(model.integer("width", default_width(m.arch()), 1, 1024));
  }
  m.head(read_depth_head_options(model));
  m.norm(model.choice("norm", norm_kind_choices(), m.norm()));
  m.head_bias(model.number("head_bias", m.head_bias(), -1e4, 1e4));
  return m;
}

void apply_override(YAML::Node& root, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw ConfigError("--set " + assignment + ": expected key.path=value");
  }
  const auto path = assignment.substr(0, eq);
  if (eq + 1 == assignment.size()) {
    throw ConfigError("--set " + assignment + ": empty value (write null to clear a key, or give a value)");
  }
  YAML::Node value;
  try {
    value = YAML::Load(assignment.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    throw ConfigError("--set " + assignment + ": value is not valid YAML: " + e.what());
  }
  YAML::Node node = root;
  size_t start = 0;
  for (;;) {
    const auto dot = path.find('.', start);
    const auto key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (key.empty()) throw ConfigError("--set " + assignment + ": empty key in '" + path + "'");
    if (node.IsDefined() && !node.IsNull() && !node.IsMap()) {
      throw ConfigError("--set " + assignment + ": '" + path.substr(0, start ? start - 1 : 0) + "' is not a mapping");
    }
    if (dot == std::string::npos) {
      node[key] = value;
      return;
    }
    node.reset(node[key]);
    start = dot + 1;
  }
}

YAML::Node load_config(const std::string& path, const std::vector<std::string>& overrides) {
  YAML::Node root = read_yaml_file(path);
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) throw ConfigError(path + ": expected a mapping of sections (model, data, loss, ...)");
  for (const auto& o : overrides) apply_override(root, o);
  return root;
}

TrainConfig read_train_config(const YAML::Node& root) {
  YamlSection top(root, "");
  // Each section is read, then checked for keys nobody asked for.
  const auto read = [&top](const std::string& key, const auto& reader) {
    auto section = top.section(key);
    auto value = reader(section);
    section.finish();
    return value;
  };
  TrainConfig c;
  c.model = read("model", read_model_options);
  c.data = read("data", [](YamlSection& s) { return read_data_config(s); });
  check_training_image_size(c.data);
  c.eval = read("eval", [&c](YamlSection& s) { return read_eval(s, c.data, c.model); });
  c.loss = read("loss", read_loss_config);
  c.optimizer = read("optimizer", read_optimizer);
  c.schedule = read("schedule", read_schedule);
  c.train = read("train", read_loop);
  c.guard = read("guard", read_guard);
  c.dist = read("dist", read_dist);
  c.data.loader.seed(c.train.seed);
  c.eval.data.loader.seed(c.train.seed);
  top.finish();
  c.resolved = top.resolved();
  return c;
}

c10::Device training_device(const TrainLoopConfig& train) {
  c10::Device device(c10::kCPU);
  try {
    device = resolve_device(train.device);
  } catch (const InvalidArgument& e) {
    throw ConfigError(std::string("train.device: ") + e.what());
  }
  if (train.precision == Precision::Fp16 && !autocast_runs(device.type(), c10::kHalf)) {
    throw ConfigError("train.precision: fp16 runs on a CUDA device, or on the CPU from LibTorch 2.4 on (train.device is " +
                      device.str() + ", LibTorch " + TORCH_VERSION + "): use bf16 on the CPU");
  }
  return device;
}

bool uses_loss_scaling(const TrainLoopConfig& train) {
  return train.loss_scaling == LossScaling::Dynamic ||
         (train.loss_scaling == LossScaling::Auto && train.precision == Precision::Fp16);
}

}  // namespace depthguard
