#pragma once
// The NaN study: which training runs it is made of. A study file names a base training
// config, the variants (numerical forms), the stress settings (what makes the baseline
// meet its failure modes) and the seeds; every (variant, stress, seed) is one run.
#include <cstdint>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace depthguard {

/// A named set of config overrides ("a.b=value").
struct StudyArm {
  std::string name;
  std::vector<std::string> overrides;
};

struct StudyConfig {
  std::string base;                    ///< path of the training config every run starts from
  std::vector<std::string> overrides;  ///< applied to every run (key `set`)
  std::vector<StudyArm> variants;      ///< default: paper_variants()
  std::vector<StudyArm> stresses;      ///< default: one arm, "none", without overrides
  int64_t seeds = 10;                  ///< runs per (variant, stress)
  int64_t first_seed = 0;
  int64_t jobs = 0;             ///< parallel processes; 0: cores / threads_per_run
  int64_t threads_per_run = 1;  ///< LibTorch threads of each run
};

/// The paper's comparison: the baseline as found in public code (naive head, sqrt SILog,
/// unbiased variance), each guideline applied alone, and all of them (the defaults).
const std::vector<StudyArm>& paper_variants();

/// Reads a study file (keys in docs/study.md); `base` is resolved against the file's folder.
/// Throws ConfigError naming the file and key for a missing file, an unknown key, a bad
/// value, a duplicate arm name or a run configuration that does not validate.
StudyConfig load_study_config(const std::string& path);

struct StudyRun {
  std::string variant, stress;
  int64_t seed = 0;
  std::string id;  ///< "variant--stress--seedN", the run's directory name
};

/// Every run, variant-major, then stress, then seed.
std::vector<StudyRun> study_runs(const StudyConfig& config);

/// The training config of one run: base, `set`, the variant's and the stress's overrides,
/// then train.seed, train.threads and guard.policy halt (a study measures whether and when
/// the first non-finite value appears, so each run stops there).
YAML::Node run_config(const StudyConfig& config, const StudyRun& run);

}  // namespace depthguard
