#pragma once

#include <stdexcept>

namespace depthguard {

/// Thrown by a command that stopped early at the user's request, after saving its state;
/// the CLI exits with 130 (the shell's code for SIGINT).
class Interrupted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Installs SIGINT and SIGTERM handlers that only record the request, so long-running
/// loops can finish the item in hand, save their state and exit cleanly. A second signal
/// while a request is pending takes the default action (a second Ctrl-C kills).
void install_interrupt_handler();

/// True once SIGINT or SIGTERM has arrived since the handler was installed.
bool interrupt_requested();

}  // namespace depthguard
