#pragma once

// What a loop that honours Ctrl-C throws when it stops: Interrupted, in core/errors.h.
#include "depthguard/core/errors.h"

namespace depthguard {

/// Installs SIGINT and SIGTERM handlers that only record the request, so long-running
/// loops can finish the item in hand, save their state and exit cleanly. A second Ctrl-C
/// while a request is pending takes the default action (it kills); repeated SIGTERMs do
/// not: the kernel sends a parent-death SIGTERM once per thread of a dying multi-threaded
/// parent (exit_with_parent), and service managers repeat theirs.
void install_interrupt_handler();

/// True once SIGINT or SIGTERM has arrived since the handler was installed.
bool interrupt_requested();

}  // namespace depthguard
