#include "depthguard/config/yaml_section.h"

#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>

#include <fmt/format.h>

namespace depthguard {

namespace {

// YAML allows a key twice in a mapping and yaml-cpp keeps the first: a later, intended value
// would be ignored without a word.
void reject_duplicate_keys(const YAML::Node& node, const std::string& file, const std::string& path) {
  if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) reject_duplicate_keys(node[i], file, path + "[" + std::to_string(i) + "]");
  }
  if (!node.IsMap()) return;
  std::map<std::string, int> first_line;
  for (const auto& entry : node) {
    const auto key = entry.first.Scalar();
    const auto key_path = path.empty() ? key : path + "." + key;
    const int line = entry.first.Mark().line + 1;
    const auto [seen, fresh] = first_line.emplace(key, line);
    if (!fresh) {
      throw ConfigError(fmt::format("{}: key {} appears twice (lines {} and {}); keep one", file, key_path,
                                    seen->second, line));
    }
    reject_duplicate_keys(entry.second, file, key_path);
  }
}

}  // namespace

YAML::Node read_yaml_file(const std::string& path) {
  std::error_code error;  // a name too long or a folder without access: the file's error
  const auto status = std::filesystem::status(path, error);
  if (std::filesystem::is_directory(status)) throw ConfigError(path + ": is a directory, not a config file");
  if (error && status.type() != std::filesystem::file_type::not_found) throw ConfigError(path + ": " + error.message());
  if (!std::filesystem::is_regular_file(status)) throw ConfigError(path + ": config file not found");
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw ConfigError(path + ": not valid YAML: " + e.what());
  }
  reject_duplicate_keys(root, path, "");
  return root;
}


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

std::vector<int64_t> YamlSection::stage_integers(const std::string& key, const std::vector<int64_t>& fallback,
                                                 int64_t lo, int64_t hi) {
  const auto values = per_stage<int64_t>(key, fallback);
  for (const auto value : values) {
    if (value < lo || value > hi) {
      throw ConfigError(key_path(key) + ": " + std::to_string(value) + " is outside [" + std::to_string(lo) + ", " +
                        std::to_string(hi) + "]");
    }
  }
  return values;
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
    if (read_.count(key) == 0 && !entry.second.IsNull()) {  // null: a key cleared (--set key=null)
      std::string known;
      for (const auto& k : read_) known += (known.empty() ? "" : ", ") + k;
      throw ConfigError(key_path(key) + ": unknown key (known keys: " + known + ")");
    }
  }
}

}  // namespace depthguard
