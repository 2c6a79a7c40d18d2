#include "depthguard/config/yaml_section.h"

#include <cmath>
#include <sstream>

namespace depthguard {

YamlSection::YamlSection(const YAML::Node& node, std::string path, YAML::Node resolved)
    : node_(node), path_(std::move(path)), resolved_(std::move(resolved)) {
  if (node_ && !node_.IsNull() && !node_.IsMap()) {
    throw ConfigError(path_ + ": expected a mapping of keys to values");
  }
}

std::string YamlSection::key_path(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

double YamlSection::number(const std::string& key, double fallback, double lo, double hi) {
  const double value = get<double>(key, fallback);
  if (!(value >= lo && value <= hi)) {  // NaN fails both comparisons
    std::ostringstream msg;
    msg << key_path(key) << ": " << value << " is outside [" << lo << ", " << hi << "]";
    throw ConfigError(msg.str());
  }
  return value;
}

int64_t YamlSection::integer(const std::string& key, int64_t fallback, int64_t lo, int64_t hi) {
  const auto value = get<int64_t>(key, fallback);
  if (value < lo || value > hi) {
    throw ConfigError(key_path(key) + ": " + std::to_string(value) + " is outside [" +
                      std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return value;
}

YamlSection YamlSection::section(const std::string& key) {
  read_.insert(key);
  const YAML::Node& map = node_;
  return YamlSection(present() ? map[key] : YAML::Node(), key_path(key), resolved_[key]);
}

void YamlSection::finish() const {
  if (!node_ || node_.IsNull()) return;
  for (const auto& entry : node_) {
    const auto key = entry.first.as<std::string>();
    if (read_.count(key) == 0) {
      std::string known;
      for (const auto& k : read_) known += (known.empty() ? "" : ", ") + k;
      throw ConfigError(key_path(key) + ": unknown key (known keys: " + known + ")");
    }
  }
}

}  // namespace depthguard
