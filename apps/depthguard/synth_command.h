#pragma once
#include <CLI/CLI.hpp>

namespace depthguard {

/// Registers `depthguard synth`: renders the built-in synthetic scenes to disk (NYU layout).
void add_synth_command(CLI::App& app);

}  // namespace depthguard
