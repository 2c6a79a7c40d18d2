#pragma once
// The error types every module may throw and the CLI maps to exit codes
// (core/exit_codes.h). Depends on the standard library only.
#include <stdexcept>
#include <string>

#include "depthguard/core/printable.h"

namespace depthguard {

/// An argument or option value that cannot be used; the message names the option (as its
/// Options struct or CLI flag names it) and the value. The CLI exits with exit_code::kUsage.
class InvalidArgument : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// A configuration value, key or file that cannot be used. The message always names the
/// offending key (dotted YAML path) or file and, for closed sets, the allowed values. Only
/// config/ (and the study file reader) speak in YAML key paths. A ConfigError is an
/// InvalidArgument, so a caller catching InvalidArgument also gets config errors; the CLI
/// reports it with a "config: " prefix and exits with exit_code::kUsage. The message is
/// made printable(): it quotes keys and values from the user's file.
class ConfigError : public InvalidArgument {
 public:
  explicit ConfigError(const std::string& message) : InvalidArgument(printable(message)) {}
};

/// Thrown when the NaN sentinel stops a run (policy halt, or too many non-finite steps in a
/// row); the CLI exits with exit_code::kNonFinite. The message names the step, the stage
/// and the samples.
class NonFiniteHalt : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Thrown by a command that stopped early at the user's request, after saving its state;
/// the CLI exits with exit_code::kInterrupted.
class Interrupted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace depthguard
