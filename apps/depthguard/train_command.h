#pragma once
#include <CLI/CLI.hpp>

namespace depthguard {

/// `depthguard train`: train a model from a YAML config into a run directory.
void add_train_command(CLI::App& app);

}  // namespace depthguard
