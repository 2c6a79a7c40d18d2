#pragma once
#include <CLI/CLI.hpp>

namespace depthguard {

/// `depthguard predict`: depth maps (16-bit PNG and a coloured picture) for image files.
void add_predict_command(CLI::App& app);

}  // namespace depthguard
