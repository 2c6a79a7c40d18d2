#pragma once
// Strict reading of one mapping of a YAML config: every key read is checked for type and
// range, and finish() rejects keys nobody read, so a typo never silently becomes a default.
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "depthguard/core/choice.h"
#include "depthguard/core/errors.h"

namespace depthguard {

/// The YAML file at `path`. Throws ConfigError naming the file when it is missing, a
/// directory, not valid YAML, or holds a key twice in one mapping (naming the key and both
/// lines: YAML keeps the first and would drop the second without a word).
YAML::Node read_yaml_file(const std::string& path);

/// Range bounds for YamlSection::number and ::integer: no upper bound, "> 0" written as a
/// closed range, and the largest count a key takes.
inline constexpr double kUnbounded = std::numeric_limits<double>::infinity();
inline constexpr double kAboveZero = std::numeric_limits<double>::min();
inline constexpr int64_t kMaxCount = std::numeric_limits<int32_t>::max();

/// parse_choice for config/: the same message ("KEY: 'value' is not one of a, b, c", KEY
/// the YAML key path), thrown as a ConfigError.
template <class E>
E parse_config_choice(const ChoiceTable<E>& table, const std::string& key_path, const std::string& name) {
  try {
    return parse_choice(table, key_path, name);
  } catch (const InvalidArgument& e) {
    throw ConfigError(e.what());
  }
}

class YamlSection {
 public:
  /// `node` must be a mapping or absent/null (then every key takes its default).
  /// `path` is the dotted name used in errors ("loss", "model"). Every value read, given or
  /// defaulted, is also recorded in `resolved` (a map node), so a run can save the exact
  /// configuration it used.
  YamlSection(const YAML::Node& node, std::string path, YAML::Node resolved = YAML::Node());

  /// "path.key".
  std::string key_path(const std::string& key) const;

  /// The value of `key`, or `fallback` when absent. Throws ConfigError naming the key
  /// when the value does not convert to T.
  template <class T>
  T get(const std::string& key, T fallback);

  /// A number in [lo, hi]; throws ConfigError naming the key, the value and the range.
  double number(const std::string& key, double fallback, double lo, double hi);

  /// A whole number in [lo, hi]; throws ConfigError naming the key, the value and the range.
  int64_t integer(const std::string& key, int64_t fallback, int64_t lo, int64_t hi);

  /// One value per stage of a network: a single value for every stage, or a list of exactly
  /// fallback.size() values. Throws ConfigError naming the key for a list of another length
  /// or a value that does not convert to T.
  template <class T>
  std::vector<T> per_stage(const std::string& key, const std::vector<T>& fallback);

  /// per_stage of whole numbers, each in [lo, hi].
  std::vector<int64_t> stage_integers(const std::string& key, const std::vector<int64_t>& fallback, int64_t lo,
                                      int64_t hi);

  /// A named choice; throws ConfigError naming the key and the allowed names.
  template <class E>
  E choice(const std::string& key, const ChoiceTable<E>& table, E fallback) {
    const auto name = get<std::string>(key, choice_name(table, fallback));
    return parse_config_choice(table, key_path(key), name);
  }

  /// True when the section exists in the file (a mapping, possibly empty).
  bool present() const { return node_ && !node_.IsNull(); }

  /// The nested mapping under `key` (absent: empty), with its own key checks.
  YamlSection section(const std::string& key);

  /// Throws ConfigError for the first key that no get/number/choice asked for (a key set to
  /// null counts as absent: `--set key=null` clears one another architecture would not read).
  void finish() const;

  /// Every key read so far with the value used (defaults included), nested like the input.
  const YAML::Node& resolved() const { return resolved_; }

 private:
  YAML::Node node_;
  std::string path_;
  std::set<std::string> read_;
  YAML::Node resolved_;
};

namespace detail {

// What a value of type T is called in an error message.
template <class T>
const char* kind_of() {
  if constexpr (std::is_same_v<T, bool>) return "not a boolean (true or false)";
  else if constexpr (std::is_integral_v<T>) return "not an integer";
  else if constexpr (std::is_floating_point_v<T>) return "not a number";
  else return "not a string";
}

// An integer written as a whole floating-point number (1e6, 3.0) is that integer; none
// for a fraction, infinity or a value outside T.
template <class T>
std::optional<T> whole_number(const YAML::Node& value) {
  double d = 0;
  if (!YAML::convert<double>::decode(value, d) || !std::isfinite(d) || d != std::floor(d)) return std::nullopt;
  if (d < static_cast<double>(std::numeric_limits<T>::lowest()) || d > static_cast<double>(std::numeric_limits<T>::max())) {
    return std::nullopt;
  }
  return static_cast<T>(d);
}

}  // namespace detail

template <class T>
T YamlSection::get(const std::string& key, T fallback) {
  read_.insert(key);
  T result = fallback;
  const YAML::Node& map = node_;  // const: looking a key up must not insert it
  const auto value = present() ? map[key] : YAML::Node();
  if (value && !value.IsNull()) {
    if (!YAML::convert<T>::decode(value, result)) {
      std::optional<T> whole;
      if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) whole = detail::whole_number<T>(value);
      if (!whole) {
        throw ConfigError(key_path(key) + ": cannot read '" + YAML::Dump(value) + "': " + detail::kind_of<T>());
      }
      result = *whole;
    }
  }
  resolved_[key] = result;
  return result;
}

template <class T>
std::vector<T> YamlSection::per_stage(const std::string& key, const std::vector<T>& fallback) {
  const YAML::Node& map = node_;
  const auto value = present() ? map[key] : YAML::Node();
  if (!value || !value.IsSequence()) {
    const T one = get<T>(key, fallback.front());
    std::vector<T> result = fallback;
    if (value && !value.IsNull()) result.assign(fallback.size(), one);
    resolved_[key] = YAML::Node(YAML::NodeType::Sequence);
    for (const auto& v : result) resolved_[key].push_back(static_cast<T>(v));
    return result;
  }
  read_.insert(key);
  if (value.size() != fallback.size()) {
    throw ConfigError(key_path(key) + ": " + std::to_string(value.size()) + " values given, expected " +
                      std::to_string(fallback.size()) + " (one per stage) or a single value for all");
  }
  std::vector<T> result;
  for (const auto& item : value) {
    T v{};
    if (!YAML::convert<T>::decode(item, v)) {
      throw ConfigError(key_path(key) + ": cannot read '" + YAML::Dump(item) + "': " + detail::kind_of<T>());
    }
    result.push_back(v);
  }
  resolved_[key] = YAML::Node(YAML::NodeType::Sequence);
  for (const auto& v : result) resolved_[key].push_back(static_cast<T>(v));
  return result;
}

}  // namespace depthguard
