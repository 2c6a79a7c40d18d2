#include "depthguard/study/study_config.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "depthguard/config/train_config.h"
#include "depthguard/config/yaml_section.h"
#include "depthguard/core/errors.h"

namespace depthguard {

namespace {

std::vector<std::string> read_overrides(const YAML::Node& node, const std::string& where) {
  std::vector<std::string> out;
  if (!node) return out;
  if (!node.IsMap()) throw ConfigError(where + ": expected a mapping of dotted keys to values");
  for (const auto& kv : node) {
    YAML::Emitter value;
    value << YAML::Flow << kv.second;
    out.push_back(kv.first.as<std::string>() + "=" + value.c_str());
  }
  return out;
}

std::vector<StudyArm> read_arms(const YAML::Node& node, const std::string& where) {
  std::vector<StudyArm> arms;
  if (!node.IsSequence()) throw ConfigError(where + ": expected a list of {name, set}");
  std::set<std::string> names;
  for (size_t i = 0; i < node.size(); ++i) {
    const auto item = fmt::format("{}[{}]", where, i);
    YamlSection arm(node[i], item);
    const auto name = arm.get<std::string>("name", "");
    if (name.empty() || name.find_first_of("/ ") != std::string::npos || name.find("--") != std::string::npos) {
      throw ConfigError(item + ".name: required, without '/', spaces or '--'");
    }
    if (!names.insert(name).second) throw ConfigError(item + ".name: '" + name + "' appears twice");
    arms.push_back({name, read_overrides(node[i]["set"], item + ".set")});
    arm.get<YAML::Node>("set", YAML::Node());
    arm.finish();
  }
  return arms;
}

StudyConfig read_study(const YAML::Node& root, const std::filesystem::path& folder) {
  StudyConfig c;
  YamlSection s(root, "");
  const auto base = s.get<std::string>("base", "");
  if (base.empty()) throw ConfigError("base: required (the training config every run starts from)");
  c.base = (folder / base).lexically_normal().string();
  c.overrides = read_overrides(root["set"], "set");
  c.variants = root["variants"] ? read_arms(root["variants"], "variants") : paper_variants();
  if (c.variants.empty()) {
    throw ConfigError("variants: empty; list at least one, or leave the key out for the paper's five");
  }
  c.stresses = root["stresses"] ? read_arms(root["stresses"], "stresses") : std::vector<StudyArm>{{"none", {}}};
  for (const char* key : {"set", "variants", "stresses"}) s.get<YAML::Node>(key, YAML::Node());
  c.seeds = s.integer("seeds", c.seeds, 1, 100000);
  c.first_seed = s.integer("first_seed", c.first_seed, 0, std::numeric_limits<int32_t>::max());
  c.jobs = s.integer("jobs", c.jobs, 0, 4096);
  c.threads_per_run = s.integer("threads_per_run", c.threads_per_run, 1, 4096);
  s.finish();
  // Every (variant, stress) must give a valid training config; the seed changes nothing here.
  for (const auto& run : study_runs(c)) {
    if (run.seed != c.first_seed) continue;
    try {
      read_train_config(run_config(c, run));
    } catch (const ConfigError& e) {
      throw ConfigError(fmt::format("run {}: {}", run.id, e.what()));
    }
  }
  return c;
}

}  // namespace

const std::vector<StudyArm>& paper_variants() {
  static const std::vector<StudyArm> arms{
      {"baseline", {"model.head=naive", "loss.reduction=sqrt", "loss.variance=unbiased"}},
      {"g1-no-sqrt", {"model.head=naive", "loss.reduction=none", "loss.variance=unbiased"}},
      {"g2-fused-head", {"model.head=fused", "loss.reduction=sqrt", "loss.variance=unbiased"}},
      {"g3-population", {"model.head=naive", "loss.reduction=sqrt", "loss.variance=population"}},
      {"guidelines", {"model.head=fused", "loss.reduction=none", "loss.variance=population"}},
  };
  return arms;
}

StudyConfig load_study_config(const std::string& path) {
  const auto root = read_yaml_file(path);
  try {
    return read_study(root, std::filesystem::path(path).parent_path());
  } catch (const ConfigError& e) {
    throw ConfigError(path + ": " + e.what());
  }
}

std::vector<StudyRun> study_runs(const StudyConfig& config) {
  std::vector<StudyRun> runs;
  for (const auto& v : config.variants) {
    for (const auto& s : config.stresses) {
      for (int64_t i = 0; i < config.seeds; ++i) {
        const int64_t seed = config.first_seed + i;
        runs.push_back({v.name, s.name, seed, fmt::format("{}--{}--seed{}", v.name, s.name, seed)});
      }
    }
  }
  return runs;
}

YAML::Node run_config(const StudyConfig& config, const StudyRun& run) {
  auto overrides = config.overrides;
  for (const auto& [arms, name] : {std::pair{&config.variants, run.variant}, std::pair{&config.stresses, run.stress}}) {
    const auto arm = std::find_if(arms->begin(), arms->end(), [&](const StudyArm& a) { return a.name == name; });
    if (arm != arms->end()) overrides.insert(overrides.end(), arm->overrides.begin(), arm->overrides.end());
  }
  overrides.push_back(fmt::format("train.seed={}", run.seed));
  overrides.push_back(fmt::format("train.threads={}", config.threads_per_run));
  overrides.push_back("guard.policy=halt");
  return load_config(config.base, overrides);
}

}  // namespace depthguard
