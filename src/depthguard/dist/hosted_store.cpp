#include "depthguard/dist/hosted_store.h"

#include <stdexcept>

namespace depthguard {

c10::intrusive_ptr<c10d::TCPStore> host_store(const std::string& addr, std::chrono::milliseconds timeout) {
  c10d::TCPStoreOptions options;
  options.port = 0;  // the kernel's pick
  options.isServer = true;
  options.waitWorkers = false;  // the ranks come later, as clients
  options.timeout = timeout;
  try {
    return c10::make_intrusive<c10d::TCPStore>(addr, options);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot host the ranks' store on " + addr + ": " + e.what());
  }
}

}  // namespace depthguard
