#include "depthguard/study/study_runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "depthguard/core/errors.h"
#include "depthguard/core/exit_codes.h"
#include "depthguard/report/progress_bar.h"
#include "depthguard/runtime/atomic_file.h"
#include "depthguard/runtime/child_process.h"
#include "depthguard/runtime/directory_lock.h"
#include "depthguard/runtime/interrupt.h"
#include "depthguard/train/trainer.h"  // last_checkpoint

namespace depthguard {

namespace {

namespace fs = std::filesystem;

class StudyExecution {
 public:
  StudyExecution(const StudyConfig& c, const StudyOptions& o) : c_(c), o_(o), out_(o.out) {}

  std::vector<RunResult> run() {
    const auto runs = study_runs(c_);
    const DirectoryLock directory_lock(out_.string());  // one study process per directory
    for (const char* sub : {"configs", "runs", "logs"}) fs::create_directories(out_ / sub);
    std::vector<std::optional<RunResult>> results(runs.size());
    std::vector<size_t> todo;
    for (size_t i = 0; i < runs.size(); ++i) {
      const auto done = result_path(runs[i]);
      if (fs::exists(done)) results[i] = read_result(done.string());
      else todo.push_back(i);
    }
    const int64_t cores = std::max<int64_t>(1, std::thread::hardware_concurrency());
    const int64_t jobs = std::min<int64_t>(c_.jobs > 0 ? c_.jobs : std::max<int64_t>(1, cores / c_.threads_per_run),
                                           std::max<size_t>(todo.size(), 1));
    spdlog::info("study: {} runs ({} variants x {} stresses x {} seeds), {} finished before, {} to run in {} "
                 "process(es) of {} thread(s)",
                 runs.size(), c_.variants.size(), c_.stresses.size(), c_.seeds, runs.size() - todo.size(),
                 todo.size(), jobs, c_.threads_per_run);
    ProgressBar bar("study", static_cast<int64_t>(todo.size()), o_.progress ? stderr : nullptr);
    install_interrupt_handler();
    std::atomic<size_t> next{0};
    std::mutex lock;
    std::exception_ptr error;
    auto worker = [&] {
      while (!interrupt_requested()) {
        const size_t k = next++;
        if (k >= todo.size()) return;
        try {
          auto r = execute(runs[todo[k]]);
          std::lock_guard<std::mutex> guard(lock);
          if (!r) continue;
          bar.advance(1, fmt::format("{}: {}{}", r->run.id, r->status, r->cause.empty() ? "" : " " + r->cause));
          results[todo[k]] = std::move(r);
        } catch (...) {
          std::lock_guard<std::mutex> guard(lock);
          if (!error) error = std::current_exception();
          return;
        }
      }
    };
    std::vector<std::thread> workers;
    for (int64_t j = 0; j < jobs; ++j) workers.emplace_back(worker);
    for (auto& w : workers) w.join();
    bar.finish();
    if (error) std::rethrow_exception(error);
    const auto finished = std::count_if(results.begin(), results.end(), [](const auto& r) { return r.has_value(); });
    if (finished < static_cast<std::ptrdiff_t>(results.size())) {
      throw Interrupted(fmt::format("study interrupted with {} of {} runs finished; the running ones saved their "
                                    "checkpoints; run the same command again to continue",
                                    finished, results.size()));
    }
    std::vector<RunResult> all;
    for (auto& r : results) all.push_back(std::move(*r));
    return all;
  }

 private:
  fs::path run_dir(const StudyRun& r) const { return out_ / "runs" / r.id; }
  fs::path result_path(const StudyRun& r) const { return run_dir(r) / "result.json"; }

  std::vector<std::string> command(const std::string& subcommand) const {
    return {o_.executable, "--threads", std::to_string(c_.threads_per_run), "--log-level", "warn", subcommand};
  }

  // Trains one run (or continues it), evaluates a halted one from its last good checkpoint,
  // and records the result; none when interrupted.
  std::optional<RunResult> execute(const StudyRun& run) {
    const auto dir = run_dir(run);
    const auto config = out_ / "configs" / (run.id + ".yaml");
    const auto log = (out_ / "logs" / (run.id + ".log")).string();
    const auto last = last_checkpoint(dir.string());
    write_file_atomically(config.string(), YAML::Dump(run_config(c_, run)) + "\n");
    const bool resume = fs::exists(last);
    if (!resume) fs::remove_all(dir);
    auto train = command("train");
    train.insert(train.end(), {"--no-progress", "--out", dir.string()});
    if (resume) train.emplace_back("--resume");
    else train.insert(train.end(), {"--config", config.string()});
    const auto start = std::chrono::steady_clock::now();
    // summary.json is written when a run completes: then only the result is missing.
    const int code = fs::exists(dir / "summary.json") ? exit_code::kOk : run_child(train, log);
    if (code == exit_code::kInterrupted) return std::nullopt;  // interrupted: it saved, and resumes next time
    if (code == exit_code::kNonFinite && fs::exists(last)) {
      auto eval = command("eval");
      eval.insert(eval.end(), {"--checkpoint", last});
      if (run_child(eval, log) != exit_code::kOk) fs::remove(dir / "eval.json");  // no metrics rather than stale ones
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto r = collect_result(run, dir.string(), code, seconds);
    if (r.status == "failed") spdlog::warn("study run {} failed (exit {}); see {}", run.id, code, log);
    write_file_atomically(result_path(run).string(), result_json(r) + "\n");
    return r;
  }

  const StudyConfig& c_;
  const StudyOptions& o_;
  fs::path out_;
};

}  // namespace

std::vector<RunResult> run_study(const StudyConfig& config, const StudyOptions& options) {
  return StudyExecution(config, options).run();
}

}  // namespace depthguard
