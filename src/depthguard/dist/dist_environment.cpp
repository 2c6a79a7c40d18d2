#include "depthguard/dist/dist_environment.h"

#include <cstdlib>
#include <string>

#include "depthguard/core/errors.h"

namespace depthguard {

namespace {

int64_t integer_variable(const char* name, int64_t lo, int64_t hi, std::optional<int64_t> fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr) {
    if (fallback) return *fallback;
    throw InvalidArgument(std::string(name) + ": not set (needed with WORLD_SIZE)");
  }
  size_t used = 0;
  int64_t value = 0;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || text[used] != '\0' || value < lo || value > hi) {
    throw InvalidArgument(std::string(name) + ": '" + text + "' is not a whole number in [" + std::to_string(lo) +
                          ", " + std::to_string(hi) + "]");
  }
  return value;
}

// torchrun writes "True" or "False" (Python's str of a bool).
bool boolean_variable(const char* name) {
  const char* text = std::getenv(name);
  if (text == nullptr || std::string(text) == "False") return false;
  if (std::string(text) == "True") return true;
  throw InvalidArgument(std::string(name) + ": '" + text + "' is neither True nor False");
}

}  // namespace

std::optional<DistOptions> dist_options_from_environment(const DistOptions& base) {
  if (std::getenv("WORLD_SIZE") == nullptr) return std::nullopt;
  DistOptions options = base;
  options.world_size(integer_variable("WORLD_SIZE", 1, 1 << 20, std::nullopt));
  options.rank(integer_variable("RANK", 0, options.world_size() - 1, std::nullopt));
  options.local_rank(integer_variable("LOCAL_RANK", 0, options.world_size() - 1, 0));
  options.master_port(integer_variable("MASTER_PORT", 1, 65535, 29500));
  if (const char* addr = std::getenv("MASTER_ADDR")) options.master_addr(addr);
  options.agent_store(boolean_variable("TORCHELASTIC_USE_AGENT_STORE"));
  return options;
}

}  // namespace depthguard
