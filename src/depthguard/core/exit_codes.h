#pragma once
// The exit codes of the depthguard CLI, and of the training child processes a study runs
// (study/ reads them back to classify a run). Scripts may rely on them.

namespace depthguard::exit_code {

/// The command did its job.
constexpr int kOk = 0;
/// Any other error: a data or I/O problem, a bug (the message says which).
constexpr int kError = 1;
/// Unusable configuration or arguments: ConfigError or InvalidArgument (also CLI11's parse
/// errors, which CLI11 reports with its own code).
constexpr int kUsage = 2;
/// The NaN sentinel stopped the run (NonFiniteHalt); the last good checkpoint stays.
constexpr int kNonFinite = 3;
/// Stopped at the user's request (Ctrl-C, SIGTERM) after saving: Interrupted. 128 + SIGINT,
/// the shell's code for an interrupted command.
constexpr int kInterrupted = 130;

}  // namespace depthguard::exit_code
