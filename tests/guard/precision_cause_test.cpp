// The precision cause: an operator non-finite only under reduced-precision autocast.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "depthguard/guard/forensics_report.h"
#include "depthguard/guard/nonfinite_cause.h"
#include "depthguard/guard/nonfinite_recorder.h"
#include "depthguard/guard/op_scope.h"

namespace depthguard {
namespace {

// The first non-finite operator of a naive log-depth head whose sigmoid underflowed.
NonFiniteOp underflowed_head() {
  const auto op = first_nonfinite_op([] {
    OpScope head("model.head");
    torch::log(torch::sigmoid(torch::full({4}, -100.0f)) * 10);
  });
  EXPECT_TRUE(op.has_value());
  return *op;
}

TEST(PrecisionCause, AnOperatorNonFiniteOnlyInReducedPrecisionIsThePrecisionCause) {
  ForensicsReport r;
  r.stage = "loss";
  r.op = underflowed_head();
  r.precision_only = "float16";
  r.classify();
  EXPECT_EQ(r.cause, NonFiniteCause::Precision);
  EXPECT_NE(r.reason.find("finite in float32, non-finite under float16 autocast"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("V2: log of an underflowed sigmoid"), std::string::npos) << r.reason;
  EXPECT_NE(cause_remedy(r.cause).find("model.head: fused"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(r.json())["precision_only"], "float16") << r.json();
}

TEST(PrecisionCause, WhatFloat32AlsoReproducesKeepsItsOwnCause) {
  ForensicsReport r;
  r.stage = "loss";
  r.op = underflowed_head();
  r.classify();
  EXPECT_EQ(r.cause, NonFiniteCause::LogOfSigmoid);
  // Injection still comes first.
  r.precision_only = "bfloat16";
  r.injected = "gradient:nan";
  r.classify();
  EXPECT_EQ(r.cause, NonFiniteCause::Injected);
}

}  // namespace
}  // namespace depthguard
