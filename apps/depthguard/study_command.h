#pragma once
#include <CLI/CLI.hpp>

namespace depthguard {

/// Registers `depthguard study`: the paper's NaN study (variants x stresses x seeds of short
/// training runs in parallel processes) with its report.
void add_study_command(CLI::App& app);

}  // namespace depthguard
