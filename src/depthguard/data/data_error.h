#pragma once
#include <stdexcept>
#include <string>

#include "depthguard/core/printable.h"

namespace depthguard {

/// A sample or file that cannot be used; the message names the file and the problem, made
/// printable() (paths and lines come from the user's files).
class DataError : public std::runtime_error {
 public:
  explicit DataError(const std::string& message) : std::runtime_error(printable(message)) {}
};

}  // namespace depthguard
