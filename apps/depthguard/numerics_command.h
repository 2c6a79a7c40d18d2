#pragma once
#include <CLI/CLI.hpp>

namespace depthguard {

/// Registers `depthguard numerics`: the paper's three vulnerabilities, computed live.
void add_numerics_command(CLI::App& app);

}  // namespace depthguard
