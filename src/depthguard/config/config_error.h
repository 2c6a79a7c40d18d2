#pragma once
#include <stdexcept>
#include <string>

namespace depthguard {

/// A configuration value, key or file that cannot be used. The message always names the
/// offending key (dotted path) or file and, for closed sets, the allowed values.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace depthguard
