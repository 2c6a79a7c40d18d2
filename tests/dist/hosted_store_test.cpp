// The store a launcher hosts (train --nproc, torchrun's agent): its port is held while it
// lives, and ranks with agent_store join it over TCP, rank 0 as a client like the others.
#include "depthguard/dist/hosted_store.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <thread>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "depthguard/dist/process_group.h"

namespace depthguard {
namespace {

// errno of binding a new socket to 127.0.0.1:`port` (0 when the bind succeeds).
int bind_error(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  const int error = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 ? 0 : errno;
  ::close(fd);
  return error;
}

TEST(HostedStore, ItsPortIsTheKernelsPickAndNobodyElseCanTakeIt) {
  const auto store = host_store("127.0.0.1", std::chrono::seconds(5));
  const int port = store->getPort();
  EXPECT_GT(port, 0);
  EXPECT_EQ(bind_error(port), EADDRINUSE);
}

TEST(HostedStore, TwoAgentStoreRanksJoinItAndSum) {
  const auto store = host_store("127.0.0.1", std::chrono::seconds(20));
  std::vector<std::exception_ptr> failures(2);
  std::vector<double> sums(2);
  std::vector<std::thread> ranks;
  for (int64_t r = 0; r < 2; ++r) {
    ranks.emplace_back([&, r] {
      try {
        ProcessGroup group(DistOptions().rank(r).world_size(2).master_port(store->getPort()).agent_store(true).timeout_s(20));
        std::vector<torch::Tensor> value{torch::full({1}, static_cast<double>(r + 1))};
        group.sum_async(value)->wait();
        sums[static_cast<size_t>(r)] = value[0].item<double>();
      } catch (...) {
        failures[static_cast<size_t>(r)] = std::current_exception();
      }
    });
  }
  for (auto& t : ranks) t.join();
  for (const auto& f : failures) {
    if (f) std::rethrow_exception(f);
  }
  EXPECT_EQ(sums, std::vector<double>({3.0, 3.0}));
}

// Without agent_store, rank 0 hosts the store itself: at the hosted store's port it cannot.
TEST(HostedStore, ARankZeroThatHostsItselfCannotTakeAHostedPort) {
  const auto store = host_store("127.0.0.1", std::chrono::seconds(5));
  EXPECT_ANY_THROW(ProcessGroup(DistOptions().rank(0).world_size(1).master_port(store->getPort()).timeout_s(2)));
}

}  // namespace
}  // namespace depthguard
