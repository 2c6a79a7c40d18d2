#include "depthguard/guard/nonfinite_recorder.h"

#include <algorithm>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "depthguard/guard/op_scope.h"

namespace depthguard {
namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(NonFiniteRecorder, FindsLogOfAnUnderflowedSigmoidInItsModule) {
  const auto logits = torch::tensor({-100.0F, 0.0F}, torch::requires_grad());
  const auto found = first_nonfinite_op([&] {
    OpScope model("model");
    OpScope head("head");
    torch::log(torch::sigmoid(logits) * 10.0);
  });
  ASSERT_TRUE(found);
  EXPECT_EQ(found->op, "aten::log");
  EXPECT_EQ(found->direction, "forward");
  EXPECT_EQ(found->module, "model.head");
  ASSERT_FALSE(found->inputs.empty());
  ASSERT_TRUE(found->inputs[0].tensor);
  EXPECT_EQ(found->inputs[0].tensor->zeros, 1);
  EXPECT_EQ(found->output.neginf, 1);
  EXPECT_TRUE(contains(found->earlier_ops, "aten::sigmoid"));
  EXPECT_FALSE(contains(found->earlier_ops, "aten::log"));
}

TEST(NonFiniteRecorder, FindsTheBackwardOfASquareRootAtZero) {
  const auto x = torch::tensor({0.0F, 0.0F}, torch::requires_grad());
  const auto found = first_nonfinite_op([&] {
    torch::Tensor y;
    {
      OpScope loss("loss");
      y = torch::sqrt((x * x).sum());
    }
    y.backward();
  });
  ASSERT_TRUE(found);
  EXPECT_EQ(found->op, "SqrtBackward0");
  EXPECT_EQ(found->direction, "backward");
  EXPECT_EQ(found->module, "loss");  // the path of the forward sqrt
  EXPECT_NE(found->chain.find("SqrtBackward0 > "), std::string::npos) << found->chain;
  EXPECT_GT(found->output.posinf + found->output.nan, 0);
}

TEST(NonFiniteRecorder, FindsZeroOverZeroAndSummarisesTheDenominator) {
  const auto found = first_nonfinite_op([&] { torch::zeros({3}) / torch::zeros({3}); });
  ASSERT_TRUE(found);
  EXPECT_EQ(found->op, "aten::div");
  EXPECT_EQ(found->module, "");
  ASSERT_GE(found->inputs.size(), 2U);
  EXPECT_EQ(found->inputs[1].tensor->zeros, 3);
  EXPECT_EQ(found->output.nan, 3);
}

TEST(NonFiniteRecorder, ReportsInPlaceInputsAsTheyWereBeforeTheOperator) {
  const auto found = first_nonfinite_op([&] { torch::zeros({2}).log_(); });
  ASSERT_TRUE(found);
  EXPECT_EQ(found->op, "aten::log_");
  EXPECT_EQ(found->inputs[0].tensor->zeros, 2);
  EXPECT_EQ(found->inputs[0].tensor->neginf, 0);
}

TEST(NonFiniteRecorder, OverflowAndScalarArguments) {
  const auto found = first_nonfinite_op([&] { torch::pow(torch::full({1}, 1e20F), 2.0); });
  ASSERT_TRUE(found);
  EXPECT_EQ(found->op, "aten::pow");
  ASSERT_EQ(found->inputs.size(), 2U);
  EXPECT_FALSE(found->inputs[1].tensor);
  EXPECT_EQ(found->inputs[1].scalar, "2.");
  EXPECT_EQ(found->output.posinf, 1);
}

TEST(NonFiniteRecorder, FiniteWorkFindsNothingAndCallbacksAreRemovedAfterAnException) {
  EXPECT_FALSE(first_nonfinite_op([] { torch::ones({4}).log().sum(); }));
  EXPECT_THROW(first_nonfinite_op([] { throw std::runtime_error("boom"); }), std::runtime_error);
  EXPECT_FALSE(first_nonfinite_op([] {}));
  const auto found = first_nonfinite_op([] { torch::zeros({1}).log(); });
  ASSERT_TRUE(found);
  EXPECT_EQ(found->module, "");  // no scope left open by the exception
}

TEST(NonFiniteRecorder, AScopeOpenedWithoutAListenerIsNotRecorded) {
  OpScope outer("outer");  // no callback yet: not recorded, so it must not appear in paths
  const auto found = first_nonfinite_op([] {
    OpScope inner("inner");
    torch::zeros({1}).log();
  });
  ASSERT_TRUE(found);
  EXPECT_EQ(found->module, "inner");
}

}  // namespace
}  // namespace depthguard

namespace depthguard {
namespace {

// The Python package's finder reads the Python stack; this one returns the line a test says
// it is at, as the stack would while the code there runs.
struct FakeStack {
  CallSite here;
  CallSiteFinder finder() {
    return [this] { return std::optional<CallSite>(here); };
  }
};

TEST(NonFiniteRecorder, NamesTheCallSiteOfTheOperatorAndOfEachProducer) {
  FakeStack stack;
  const auto logits = torch::full({4}, -120.0F).requires_grad_(true);
  const auto op = first_nonfinite_op(
      [&] {
        torch::Tensor depth;
        {
          OpScope head("head");
          stack.here = {"/repo/net.py", 16, "Head.forward"};
          depth = torch::sigmoid(logits) * 10.0;
        }
        stack.here = {"/repo/loss.py", 32, "silog_loss"};
        torch::log(depth).mean().backward();
      },
      stack.finder());
  ASSERT_TRUE(op);
  EXPECT_EQ(op->op, "aten::log");
  ASSERT_TRUE(op->site);
  EXPECT_EQ(op->site->text(), "/repo/loss.py:32 (silog_loss)");
  EXPECT_EQ(op->module, "silog_loss");  // outside every scope: named by its function, never ""
  ASSERT_EQ(op->producers.size(), 2U);
  EXPECT_EQ(op->producers[0].text(), "aten::mul in head at /repo/net.py:16 (Head.forward)");
  EXPECT_EQ(op->producers[1].text(), "aten::sigmoid in head at /repo/net.py:16 (Head.forward)");
}

// A backward node has no call site of its own: its forward operator's is where the code is.
TEST(NonFiniteRecorder, ABackwardNodeHasItsForwardOperatorsCallSite) {
  FakeStack stack;
  const auto x = torch::ones({3}, torch::requires_grad());
  const auto op = first_nonfinite_op(
      [&] {
        stack.here = {"/repo/bts.py", 52, "SilogLoss.forward"};
        const auto d = (x - x.detach()).pow(2).mean();
        stack.here = {"/repo/train.py", 90, "main"};
        torch::sqrt(d).backward();
      },
      stack.finder());
  ASSERT_TRUE(op);
  EXPECT_EQ(op->op, "SqrtBackward0");
  ASSERT_TRUE(op->site);
  EXPECT_EQ(op->site->text(), "/repo/train.py:90 (main)");
  EXPECT_EQ(op->module, "main");
}

TEST(NonFiniteRecorder, WithoutAFinderNoOperatorHasACallSite) {
  const auto op = first_nonfinite_op([] { torch::log(torch::zeros({2})); });
  ASSERT_TRUE(op);
  EXPECT_FALSE(op->site);
  EXPECT_EQ(op->module, "");
}

TEST(ScopeOfCall, NamesTheFunctionOrTheLossModulesClass) {
  const auto scope = [](const std::string& function) { return scope_of_call({"/repo/x.py", 1, function}); };
  EXPECT_EQ(scope("silog_loss"), "silog_loss");
  EXPECT_EQ(scope("SiLogLoss.forward"), "SiLogLoss");
  EXPECT_EQ(scope("make_loss.<locals>.silog"), "make_loss.silog");
  EXPECT_EQ(scope("forward"), "forward");  // a module-level function called forward
  EXPECT_EQ(scope("main.<locals>.<lambda>"), "loss");
  EXPECT_EQ(scope("<lambda>"), "loss");
  EXPECT_EQ(scope("<module>"), "loss");
  EXPECT_EQ(scope(""), "loss");
}

}  // namespace
}  // namespace depthguard
