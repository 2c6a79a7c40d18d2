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
