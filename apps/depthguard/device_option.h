#pragma once
// --device of the commands that run a model (eval, predict).
#include <string>

#include <CLI/CLI.hpp>
#include <c10/core/Device.h>

#include "depthguard/core/errors.h"
#include "depthguard/runtime/device.h"

namespace depthguard {

inline void add_device_option(CLI::App* cmd, std::string& device) {
  cmd->add_option("--device", device, "auto (a GPU when there is one), cpu, cuda or cuda:N; default auto");
}

/// The device --device names here; errors name the option.
inline c10::Device device_option_value(const std::string& device) {
  try {
    return resolve_device(device);
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(std::string("--device: ") + e.what());
  }
}

}  // namespace depthguard
