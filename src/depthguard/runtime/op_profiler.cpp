#include "depthguard/runtime/op_profiler.h"

#include <algorithm>
#include <atomic>

#include <ATen/record_function.h>

#include "depthguard/core/errors.h"

namespace depthguard {

namespace {

// The profiler the callbacks report to. RecordFunction takes plain function pointers, so
// the one recording profiler is a process-wide pointer.
std::atomic<OpProfiler*> active{nullptr};

// A call still open on this thread: its start, and the time of the calls it made so far.
struct OpenCall {
  double start_us = 0;
  double children_us = 0;
};
thread_local std::vector<OpenCall> open_calls;

uint64_t this_thread_number() {
  static std::atomic<uint64_t> next{0};
  thread_local const uint64_t number = next++;
  return number;
}

const char* category_of(at::RecordScope scope) {
  switch (scope) {
    case at::RecordScope::BACKWARD_FUNCTION:
      return "backward";
    case at::RecordScope::USER_SCOPE:
      return "scope";
    default:
      return "op";
  }
}

std::unique_ptr<at::ObserverContext> profile_start(const at::RecordFunction&) {
  if (auto* profiler = active.load()) open_calls.push_back({profiler->now_us(), 0});
  return nullptr;
}

void profile_end(const at::RecordFunction& fn, at::ObserverContext*) {
  auto* profiler = active.load();
  // A call that started before start() has no open record on this thread.
  if (profiler == nullptr || open_calls.empty()) return;
  const auto call = open_calls.back();
  open_calls.pop_back();
  const double duration = profiler->now_us() - call.start_us;
  if (!open_calls.empty()) open_calls.back().children_us += duration;
  profiler->add({fn.name(), category_of(fn.scope()), call.start_us, duration, this_thread_number()},
                duration - call.children_us);
}

}  // namespace

OpProfiler::OpProfiler(bool keep_trace) : keep_trace_(keep_trace) {}

OpProfiler::~OpProfiler() { stop(); }

double OpProfiler::now_us() const {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - epoch_).count();
}

void OpProfiler::start() {
  if (recording_) return;
  OpProfiler* none = nullptr;
  if (!active.compare_exchange_strong(none, this)) {
    throw InvalidArgument("OpProfiler: another profiler is recording in this process");
  }
  open_calls.clear();
  // Thread-local: the data loader's threads stay out; autograd's threads inherit it.
  callback_ = at::addThreadLocalCallback(at::RecordFunctionCallback(profile_start, profile_end)
                                        .scopes({at::RecordScope::FUNCTION, at::RecordScope::BACKWARD_FUNCTION,
                                                 at::RecordScope::USER_SCOPE}));
  window_start_us_ = now_us();
  recording_ = true;
}

void OpProfiler::stop() {
  if (!recording_) return;
  at::removeCallback(callback_);
  active.store(nullptr);
  recorded_ms_ += (now_us() - window_start_us_) / 1000.0;
  recording_ = false;
}

void OpProfiler::add(const TraceEvent& call, double self_us) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (call.category != "scope") {
    auto& t = totals_[call.name];
    ++t.calls;
    t.self_us += self_us;
    t.total_us += call.duration_us;
  }
  if (keep_trace_) trace_.push_back(call);
}

std::vector<OperatorTime> OpProfiler::operators() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<OperatorTime> rows;
  rows.reserve(totals_.size());
  for (const auto& [name, t] : totals_) rows.push_back({name, t.calls, t.self_us / 1000.0, t.total_us / 1000.0});
  std::sort(rows.begin(), rows.end(), [](const OperatorTime& a, const OperatorTime& b) {
    return a.self_ms != b.self_ms ? a.self_ms > b.self_ms : a.name < b.name;
  });
  return rows;
}

}  // namespace depthguard
