// The cause of a non-finite value, told from the operator the recorder finds when the real
// heads and losses fail, and from the steps before it.
#include "depthguard/guard/nonfinite_cause.h"

#include <fstream>
#include <iterator>
#include <regex>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "depthguard/guard/forensics_report.h"
#include "depthguard/guard/nonfinite_recorder.h"
#include "depthguard/guard/op_scope.h"
#include "depthguard/losses/silog_loss.h"
#include "depthguard/numerics/depth_head.h"
#include "depthguard/numerics/masked_moments.h"
#include "test_paths.h"

namespace depthguard {
namespace {

NonFiniteCause cause_of(const std::function<void()>& fn, std::string* why = nullptr) {
  const auto op = first_nonfinite_op(fn);
  EXPECT_TRUE(op);
  if (!op) return NonFiniteCause::Unknown;
  std::string reason;
  const auto cause = cause_of_op(*op, reason);
  EXPECT_FALSE(reason.empty());
  if (why) *why = reason;
  return cause;
}

// One image with a single valid pixel: what a tiny crop of sparse ground truth leaves.
struct OnePixel {
  torch::Tensor log_pred = torch::zeros({1, 1, 2, 2}).requires_grad_(true);
  torch::Tensor gt = torch::tensor({2.0F, 0.0F, 0.0F, 0.0F}).view({1, 1, 2, 2});
  torch::Tensor mask = gt > 0;
};

TEST(NonFiniteCause, NaiveHeadOnAVeryNegativeLogitIsV2) {
  const auto logits = torch::full({1, 1, 2, 2}, -100.0F).requires_grad_(true);
  std::string why;
  EXPECT_EQ(cause_of([&] {
              OpScope head("head");
              log_depth_from_logits(logits, DepthHeadOptions().kind(HeadKind::Naive));
            }, &why),
            NonFiniteCause::LogOfSigmoid);
  EXPECT_NE(why.find("sigmoid"), std::string::npos) << why;
}

TEST(NonFiniteCause, SquareRootOfAZeroSilogIsV1) {
  OnePixel p;
  const auto options = SilogLossOptions().lambda(1.0).reduction(SilogReduction::Sqrt)
                           .variance(VarianceKind::Population).scope(LossScope::Image);
  EXPECT_EQ(cause_of([&] { silog_loss(p.log_pred, p.gt, p.mask, options).loss.backward(); }),
            NonFiniteCause::SqrtAtZero);
}

TEST(NonFiniteCause, UnbiasedVarianceOfOnePixelIsV3) {
  OnePixel p;
  const auto options = SilogLossOptions().reduction(SilogReduction::None).variance(VarianceKind::Unbiased)
                           .scope(LossScope::Image);
  std::string why;
  EXPECT_EQ(cause_of([&] { silog_loss(p.log_pred, p.gt, p.mask, options).loss.backward(); }, &why),
            NonFiniteCause::Variance);
  EXPECT_NE(why.find("variance"), std::string::npos) << why;
}

TEST(NonFiniteCause, NegativeOnePassVarianceUnderTheRootIsV3) {
  // Search seeds for a float32 batch whose one-pass variance comes out negative, as the
  // numerics table does; then the SILog root of it must be blamed on the variance.
  const auto options = SilogLossOptions().lambda(1.0).reduction(SilogReduction::Sqrt).variance(VarianceKind::Moments);
  for (int seed = 0; seed < 400; ++seed) {
    torch::manual_seed(seed);
    const auto log_pred = (6.0 + 1e-3 * torch::randn({1, 1, 4, 8})).requires_grad_(true);
    const auto gt = torch::ones({1, 1, 4, 8});
    const auto mask = gt > 0;
    const auto d = (log_pred.detach() - torch::log(gt)).view({1, -1});
    if (masked_moments(d, mask.view({1, -1}), VarianceKind::Moments).variance.item<float>() >= 0) continue;
    EXPECT_EQ(cause_of([&] {
                OpScope loss("loss");  // as depth_loss opens it
                silog_loss(log_pred, gt, mask, options).loss.backward();
              }),
              NonFiniteCause::Variance);
    return;
  }
  GTEST_SKIP() << "no seed gave a negative one-pass variance on this machine";
}

TEST(NonFiniteCause, OtherDivisionsOverflowAndLogsOfZero) {
  EXPECT_EQ(cause_of([] { torch::ones({2}) / torch::zeros({2}); }), NonFiniteCause::DivisionByZero);
  EXPECT_EQ(cause_of([] { torch::exp(torch::full({3}, 100.0F)); }), NonFiniteCause::Overflow);
  EXPECT_EQ(cause_of([] { torch::full({2}, 1e30F) * 1e30F; }), NonFiniteCause::Overflow);
  std::string why;
  EXPECT_EQ(cause_of([] { torch::log(torch::zeros({2})); }, &why), NonFiniteCause::Unknown);
  EXPECT_NE(why.find("zero"), std::string::npos) << why;
}

// GLPDepth's head: depth = sigmoid(x) * max_depth in the head module, its log in the loss.
TEST(NonFiniteCause, ALogOfWhatAHeadsSigmoidMadeIsV2AtTheLog) {
  const auto logits = torch::full({1, 1, 2, 2}, -120.0F).requires_grad_(true);
  const auto op = first_nonfinite_op([&] {
    torch::Tensor depth;
    {
      OpScope head("head");
      depth = torch::sigmoid(logits) * 10.0;
    }
    OpScope loss("loss");
    torch::log(depth.flatten()).mean().backward();
  });
  ASSERT_TRUE(op);
  EXPECT_EQ(op->op, "aten::log");
  EXPECT_EQ(op->module, "loss");
  EXPECT_EQ(op->producer_texts(), (std::vector<std::string>{"aten::flatten in loss", "aten::mul in head", "aten::sigmoid in head"}));
  std::string why;
  EXPECT_EQ(cause_of_op(*op, why), NonFiniteCause::LogOfSigmoid);
  EXPECT_NE(why.find("aten::sigmoid in head"), std::string::npos) << why;
}

// The log's input was made by something else: no sigmoid in its producers, no V2.
TEST(NonFiniteCause, ALogOfZerosAnotherOpMadeIsNotV2) {
  const auto x = torch::zeros({3}).requires_grad_(true);
  const auto op = first_nonfinite_op([&] {
    auto s = torch::sigmoid(x);  // ran, but does not feed the log
    torch::log(torch::relu(x - 1.0)).sum().backward();
  });
  ASSERT_TRUE(op);
  std::string why;
  EXPECT_EQ(op->producer_texts(), (std::vector<std::string>{"aten::relu", "aten::sub"}));
  EXPECT_EQ(cause_of_op(*op, why), NonFiniteCause::Unknown) << why;  // the sigmoid ran in the same module
}

// A mean over an empty selection (a depth map with no valid pixel); a mean of one value and a
// sum of none stay finite.
TEST(NonFiniteCause, AMeanOfNothingIsAnEmptyMask) {
  const auto depth = torch::zeros({2, 1, 4, 4});
  std::string why;
  EXPECT_EQ(cause_of([&] { torch::log(depth.masked_select(depth > 0)).mean(); }, &why), NonFiniteCause::EmptyMask);
  EXPECT_NE(why.find("empty"), std::string::npos) << why;
  EXPECT_EQ(cause_of([&] { torch::var(depth.masked_select(depth > 0)); }), NonFiniteCause::EmptyMask);
  EXPECT_FALSE(first_nonfinite_op([&] { torch::ones({1}).mean(); torch::zeros({0}).sum(); }));
}

TEST(NonFiniteCause, EveryCauseHasANameTitleAndRemedy) {
  for (const auto& [name, cause] : nonfinite_cause_choices()) {
    EXPECT_FALSE(cause_title(cause).empty()) << name;
    EXPECT_FALSE(cause_remedy(cause).empty()) << name;
    EXPECT_FALSE(cause_remedy(cause, FixTerms::PyTorch).empty()) << name;
  }
  EXPECT_NE(cause_remedy(NonFiniteCause::SqrtAtZero).find("loss.reduction"), std::string::npos);
  EXPECT_NE(cause_remedy(NonFiniteCause::LogOfSigmoid).find("model.head: fused"), std::string::npos);
  EXPECT_NE(cause_remedy(NonFiniteCause::Variance).find("loss.variance: population"), std::string::npos);
}

// docs/guard.md "Causes and fixes" is this table: one row per cause, both renderings.
TEST(NonFiniteCause, TheCausesTableOfTheDocsIsTheCodes) {
  std::ifstream in(std::string(DEPTHGUARD_SOURCE_DIR) + "/docs/guard.md");
  const std::string docs((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(docs.empty());
  for (const auto& [name, cause] : nonfinite_cause_choices()) {
    const auto row = "| `" + name + "` | " + cause_title(cause) + " | " + cause_remedy(cause) + " | " +
                     cause_remedy(cause, FixTerms::PyTorch) + " |";
    EXPECT_NE(docs.find(row), std::string::npos) << "docs/guard.md lacks the row\n" << row;
  }
}

// A loop of the user's own has no depthguard configuration: its fix is PyTorch code, the
// replacement of the vulnerable form.
TEST(NonFiniteCause, TheFixForALoopsOwnCodeNamesNoConfigurationKey) {
  const std::regex config_key(R"((^|[^\w.])(loss|model|train|guard|optimizer|schedule|data|eval)\.[a-z_.]+:)");
  for (const auto& [name, cause] : nonfinite_cause_choices()) {
    const auto& fix = cause_remedy(cause, FixTerms::PyTorch);
    EXPECT_FALSE(std::regex_search(fix, config_key)) << name << ": " << fix;
    EXPECT_EQ(fix.find("depthguard's loader"), std::string::npos) << name;
    EXPECT_NE(fix, cause_remedy(cause)) << name;
  }
  EXPECT_TRUE(std::regex_search(cause_remedy(NonFiniteCause::SqrtAtZero), config_key));  // the pattern finds keys
  EXPECT_NE(cause_remedy(NonFiniteCause::SqrtAtZero, FixTerms::PyTorch).find("torch.sqrt(D)"), std::string::npos);
  EXPECT_NE(cause_remedy(NonFiniteCause::Variance, FixTerms::PyTorch).find("torch.var(g, correction=0)"),
            std::string::npos);
  EXPECT_NE(cause_remedy(NonFiniteCause::LogOfSigmoid, FixTerms::PyTorch)
                .find("math.log(max_depth) + torch.nn.functional.logsigmoid(x)"),
            std::string::npos);
  EXPECT_NE(cause_remedy(NonFiniteCause::EmptyMask, FixTerms::PyTorch).find("mask.sum().clamp_min(1)"),
            std::string::npos);
}

std::vector<StepRecord> flat(size_t n) {
  std::vector<StepRecord> h;
  for (size_t i = 0; i < n; ++i) h.push_back({static_cast<int64_t>(i), 1.0, 2.0, 10.0, 1e-3});
  return h;
}

TEST(GrowthBeforeEvent, Edges) {
  EXPECT_FALSE(growth_before_event({}));
  EXPECT_FALSE(growth_before_event(flat(1)));
  auto four = flat(4);
  four.back().grad_norm = 1e6;
  EXPECT_FALSE(growth_before_event(four)) << "fewer than 5 steps: no verdict";
  EXPECT_FALSE(growth_before_event(flat(50)));
  auto grads = flat(10);
  grads.back().grad_norm = 20.0;  // 10x the median 2
  ASSERT_TRUE(growth_before_event(grads));
  EXPECT_NE(growth_before_event(grads)->find("gradient norm"), std::string::npos);
  auto weights = flat(10);
  weights.back().weight_norm = 20.0;  // doubled
  ASSERT_TRUE(growth_before_event(weights));
  EXPECT_NE(growth_before_event(weights)->find("weight norm"), std::string::npos);
  auto zeros = flat(6);
  for (auto& r : zeros) r.grad_norm = r.weight_norm = 0;
  EXPECT_FALSE(growth_before_event(zeros)) << "all-zero norms are not growth";
}

TEST(ForensicsReport, ClassifyOrderAndOutputs) {
  ForensicsReport r;
  r.step = 7;
  r.stage = "gradient";
  r.samples = {"a", "b"};
  r.injected = "gradient:nan";
  r.classify();
  EXPECT_EQ(r.cause, NonFiniteCause::Injected);
  EXPECT_NE(r.reason.find("nan into the gradient at step 7"), std::string::npos) << r.reason;

  r.injected.clear();
  r.stage = "input";
  r.findings = {"sample a: image holds 1 NaN"};
  r.classify();
  EXPECT_EQ(r.cause, NonFiniteCause::NonFiniteInput);

  r.stage = "loss";
  r.findings.clear();
  r.op = first_nonfinite_op([] { torch::exp(torch::full({1}, 100.0F)); });
  r.classify();
  EXPECT_EQ(r.cause, NonFiniteCause::Overflow);
  r.history = flat(10);
  r.history.back().grad_norm = 1e4;
  r.classify();
  EXPECT_EQ(r.cause, NonFiniteCause::Exploding) << "an overflow after fast growth";

  r.op.reset();
  r.stage = "weight";
  r.history = flat(10);
  r.findings = {"parameter w: 1 NaN"};
  r.classify();
  EXPECT_EQ(r.cause, NonFiniteCause::Overflow);

  const auto json = r.json();
  for (const char* key : {"\"cause\": \"overflow\"", "\"remedy\"", "\"history\"", "\"op\": null", "\"step\": 7"}) {
    EXPECT_NE(json.find(key), std::string::npos) << key << "\n" << json;
  }
  EXPECT_EQ(history_from_json(history_json(r.history)).size(), 10U);
  EXPECT_THROW(history_from_json("[{\"step\": 1}]"), std::runtime_error);
  EXPECT_NE(r.text().find("cause: exp/pow or arithmetic overflow [overflow]"), std::string::npos) << r.text();
}

}  // namespace
}  // namespace depthguard
