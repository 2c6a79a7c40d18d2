#pragma once
#include <CLI/CLI.hpp>

namespace depthguard {

/// Registers `depthguard diagnose BUNDLE`: replays a reproducer bundle written by the NaN
/// sentinel and prints its forensics report (text, or JSON with --json).
void add_diagnose_command(CLI::App& app);

}  // namespace depthguard
