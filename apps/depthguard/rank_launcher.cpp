#include "rank_launcher.h"

#include <filesystem>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "depthguard/core/errors.h"
#include "depthguard/core/exit_codes.h"
#include "depthguard/dist/hosted_store.h"
#include "depthguard/runtime/child_process.h"
#include "depthguard/runtime/interrupt.h"

namespace depthguard {

void launch_ranks(const std::vector<std::string>& command, int ranks, int threads_per_rank,
                  const std::string& log_dir) {
  std::filesystem::create_directories(log_dir);
  // This process hosts the store (held until every rank has ended) and the ranks join it.
  const auto store = host_store("127.0.0.1", std::chrono::seconds(30));
  const int port = store->getPort();
  spdlog::info("--nproc {}: {} ranks of {} thread(s) on 127.0.0.1:{}; ranks 1 to {} log to {}/rank-R.log", ranks,
               ranks, threads_per_rank, port, ranks - 1, log_dir);
  install_interrupt_handler();  // Ctrl-C reaches the ranks too: this process waits for them
  std::vector<int> codes(static_cast<size_t>(ranks), exit_code::kOk);
  std::vector<std::string> logs(static_cast<size_t>(ranks));  // rank 0: this process's output
  std::vector<std::thread> waiting;
  for (int r = 0; r < ranks; ++r) {
    std::vector<std::string> argv{current_executable(), "--threads", std::to_string(threads_per_rank)};
    argv.insert(argv.end(), command.begin(), command.end());
    if (r > 0) {
      argv.emplace_back("--no-progress");
      logs[static_cast<size_t>(r)] = (std::filesystem::path(log_dir) / fmt::format("rank-{}.log", r)).string();
    }
    const std::vector<std::string> environment{
        fmt::format("RANK={}", r), fmt::format("LOCAL_RANK={}", r), fmt::format("WORLD_SIZE={}", ranks),
        "MASTER_ADDR=127.0.0.1", fmt::format("MASTER_PORT={}", port), "TORCHELASTIC_USE_AGENT_STORE=True"};
    waiting.emplace_back([&, r, argv, environment] {
      try {
        codes[static_cast<size_t>(r)] = run_child(argv, logs[static_cast<size_t>(r)], environment);
      } catch (const std::exception& e) {  // could not start it
        spdlog::error("rank {}: {}", r, e.what());
        codes[static_cast<size_t>(r)] = exit_code::kError;
      }
    });
  }
  for (auto& t : waiting) t.join();
  // Every rank that failed, the killed ones first: a rank that died makes the others fail.
  std::vector<std::string> failed;
  int first = exit_code::kOk;
  for (const bool killed : {true, false}) {
    for (int r = 0; r < ranks; ++r) {
      const int code = codes[static_cast<size_t>(r)];
      if (code == exit_code::kOk || (code > 128 && code != exit_code::kInterrupted) != killed) continue;
      const auto& log = logs[static_cast<size_t>(r)];
      failed.push_back(fmt::format("rank {} {} ({})", r,
                                   killed ? fmt::format("was killed by signal {}", code - 128)
                                          : fmt::format("ended with exit code {}", code),
                                   log.empty() ? "its output is above" : "its log: " + log));
      if (first == exit_code::kOk) first = code;
    }
  }
  if (failed.empty()) return;
  const auto what = fmt::format("{}", fmt::join(failed, "; "));
  if (first == exit_code::kNonFinite) throw NonFiniteHalt(what);
  if (first == exit_code::kInterrupted) throw Interrupted(what);
  throw std::runtime_error(what);
}

}  // namespace depthguard
