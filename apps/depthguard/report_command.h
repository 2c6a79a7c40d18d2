#pragma once
#include <CLI/CLI.hpp>

namespace depthguard {

/// Registers `depthguard report PATH`: a self-contained report.html for a run or a study.
void add_report_command(CLI::App& app);

}  // namespace depthguard
