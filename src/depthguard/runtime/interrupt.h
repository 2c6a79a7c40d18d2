#pragma once

// What a loop that honours Ctrl-C throws when it stops: Interrupted, in core/errors.h.
#include "depthguard/core/errors.h"

namespace depthguard {

/// Installs SIGINT and SIGTERM handlers that only record the request, so long-running
/// loops can finish the item in hand, save their state and exit cleanly. A second signal
/// while a request is pending takes the default action (a second Ctrl-C kills).
void install_interrupt_handler();

/// True once SIGINT or SIGTERM has arrived since the handler was installed.
bool interrupt_requested();

}  // namespace depthguard
