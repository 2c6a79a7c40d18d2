// The operator profiler counts exactly the calls made while it records, on its own thread,
// with self time never above total time and nested operators inside their callers.
#include "depthguard/runtime/op_profiler.h"

#include <algorithm>
#include <thread>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "depthguard/core/errors.h"
#include "depthguard/guard/op_scope.h"

namespace depthguard {
namespace {

const OperatorTime* find(const std::vector<OperatorTime>& rows, const std::string& name) {
  const auto it = std::find_if(rows.begin(), rows.end(), [&](const OperatorTime& r) { return r.name == name; });
  return it == rows.end() ? nullptr : &*it;
}

TEST(OpProfiler, CountsTheCallsMadeWhileRecordingOnly) {
  const auto a = torch::rand({64, 64}), b = torch::rand({64, 64});
  OpProfiler profiler;
  torch::mm(a, b);  // before start: not counted
  profiler.start();
  for (int i = 0; i < 3; ++i) torch::mm(a, b);
  profiler.stop();
  torch::mm(a, b);  // after stop: not counted
  const auto rows = profiler.operators();
  const auto* mm = find(rows, "aten::mm");
  ASSERT_NE(mm, nullptr);
  EXPECT_EQ(mm->calls, 3);
  EXPECT_GT(mm->self_ms, 0.0);
  EXPECT_LE(mm->self_ms, mm->total_ms);
  EXPECT_GT(profiler.recorded_ms(), 0.0);
  EXPECT_TRUE(profiler.trace().empty());  // no trace unless asked
}

TEST(OpProfiler, ACallerIncludesItsCalleesAndItsSelfTimeExcludesThem) {
  const auto x = torch::rand({8, 32, 32, 32}), w = torch::rand({16, 32, 3, 3});
  OpProfiler profiler;
  profiler.start();
  torch::conv2d(x, w);
  profiler.stop();
  const auto rows = profiler.operators();
  const auto* conv2d = find(rows, "aten::conv2d");
  const auto* convolution = find(rows, "aten::convolution");
  ASSERT_NE(conv2d, nullptr);
  ASSERT_NE(convolution, nullptr);
  EXPECT_GE(conv2d->total_ms, convolution->total_ms);
  EXPECT_LE(conv2d->self_ms, conv2d->total_ms - convolution->total_ms + 1e-6);
  // Self times add up to no more than the recorded wall time.
  double self = 0;
  for (const auto& r : rows) self += r.self_ms;
  EXPECT_LE(self, profiler.recorded_ms() + 1e-6);
  EXPECT_TRUE(std::is_sorted(rows.begin(), rows.end(),
                             [](const OperatorTime& p, const OperatorTime& q) { return p.self_ms > q.self_ms; }));
}

TEST(OpProfiler, RecordsBackwardNodesAndNamedRegionsInTheTrace) {
  auto x = torch::rand({16, 16}, torch::requires_grad());
  OpProfiler profiler(true);
  profiler.start();
  {
    OpScope scope("head");
    torch::sigmoid(x).sum().backward();
  }
  profiler.stop();
  EXPECT_NE(find(profiler.operators(), "SigmoidBackward0"), nullptr);
  EXPECT_EQ(find(profiler.operators(), "head"), nullptr);  // a region is not an operator
  const auto& trace = profiler.trace();
  const auto has = [&](const std::string& name, const std::string& category) {
    return std::any_of(trace.begin(), trace.end(),
                       [&](const TraceEvent& e) { return e.name == name && e.category == category; });
  };
  EXPECT_TRUE(has("head", "scope"));
  EXPECT_TRUE(has("aten::sigmoid", "op"));
  EXPECT_TRUE(has("SigmoidBackward0", "backward"));
  for (const auto& e : trace) EXPECT_GE(e.duration_us, 0.0) << e.name;
}

TEST(OpProfiler, OtherThreadsStayOut) {
  const auto a = torch::rand({32, 32});
  OpProfiler profiler;
  profiler.start();
  std::thread([&] { torch::mm(a, a); }).join();
  profiler.stop();
  EXPECT_EQ(find(profiler.operators(), "aten::mm"), nullptr);
}

TEST(OpProfiler, OneProfilerRecordsAtATime) {
  OpProfiler first, second;
  first.start();
  EXPECT_THROW(second.start(), InvalidArgument);
  first.stop();
  EXPECT_NO_THROW(second.start());
}

}  // namespace
}  // namespace depthguard
