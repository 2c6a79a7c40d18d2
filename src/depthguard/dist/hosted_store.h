#pragma once
// The rendezvous store a launcher hosts for the ranks it starts, as torchrun's agent does:
// the ranks connect to it with DistOptions::agent_store. Its port is the kernel's pick and
// stays bound for the store's life, so no other process can take it between the pick and
// the ranks' use (as a port found free, closed and handed on can be).
#include <chrono>
#include <string>

#include <torch/csrc/distributed/c10d/TCPStore.hpp>

namespace depthguard {

/// A TCPStore server on `addr` at a free port (its getPort()). Throws std::runtime_error
/// naming the address when it cannot listen there.
c10::intrusive_ptr<c10d::TCPStore> host_store(const std::string& addr, std::chrono::milliseconds timeout);

}  // namespace depthguard
