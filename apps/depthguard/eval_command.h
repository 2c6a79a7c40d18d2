#pragma once
#include <CLI/CLI.hpp>

namespace depthguard {

/// `depthguard eval`: the Eigen metrics of a checkpoint on its held-out data or another set.
void add_eval_command(CLI::App& app);

}  // namespace depthguard
