#include "depthguard/runtime/threads.h"

#include <algorithm>
#include <thread>

#include <ATen/Parallel.h>
#include <fmt/format.h>

#include "depthguard/core/log.h"

namespace depthguard {

int configure_threads(int requested) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = requested > 0 ? requested : cores;
  if (threads > cores) {
    log_message(LogLevel::Warn,
                fmt::format("{} intra-op threads on {} core(s): oversubscribed threads wait on each other and slow every "
                            "operator down",
                            threads, cores));
  }
  at::set_num_threads(threads);
  return at::get_num_threads();
}

}  // namespace depthguard
