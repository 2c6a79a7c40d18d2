#include "depthguard/runtime/interrupt.h"

#include <atomic>
#include <csignal>

namespace depthguard {

namespace {

std::atomic<bool> requested{false};

extern "C" void on_signal(int sig) {
  if (requested.exchange(true) && sig == SIGINT) {
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
}

}  // namespace

void install_interrupt_handler() {
  requested = false;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

bool interrupt_requested() { return requested.load(); }

}  // namespace depthguard
