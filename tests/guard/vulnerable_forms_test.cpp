// The forms check on LibTorch code: each of the paper's vulnerable forms in a healthy step,
// nothing in the guideline forms or outside autograd, and the edges (no operator at all).
#include "depthguard/guard/vulnerable_forms.h"

#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "depthguard/guard/op_scope.h"

namespace depthguard {
namespace {

std::vector<FormFinding> forms_of(const std::function<void()>& step, FixTerms terms = FixTerms::PyTorch) {
  return find_vulnerable_forms(trace_forward_ops(step, summarised_for_forms), terms);
}

std::set<std::string> kinds(const std::vector<FormFinding>& forms) {
  std::set<std::string> out;
  for (const auto& f : forms) out.insert(choice_name(nonfinite_cause_choices(), f.cause));
  return out;
}

struct Batch {
  torch::Tensor logits = torch::randn({2, 1, 4, 4}, torch::requires_grad());
  torch::Tensor target = torch::rand({2, 1, 4, 4}) * 9 + 1;
  torch::Tensor mask = target > 2;
};

TEST(VulnerableForms, BtsRootOfTheOnePassSilogOverASelectionOfTheSigmoidsLog) {
  torch::manual_seed(0);
  Batch b;
  const auto forms = forms_of([&] {
    const auto pred = torch::sigmoid(b.logits) * 10;
    const auto d = torch::log(pred.index({b.mask})) - torch::log(b.target.index({b.mask}));
    (torch::sqrt(d.pow(2).mean() - 0.85 * d.mean().pow(2)) * 10).backward();
  });
  EXPECT_EQ(kinds(forms), (std::set<std::string>{"empty_mask", "v1_sqrt", "v2_log_sigmoid"}));
  for (const auto& f : forms) {
    EXPECT_FALSE(f.risk.empty());
    EXPECT_EQ(f.fix, cause_remedy(f.cause, FixTerms::PyTorch));
  }
}

// A head's output sliced per image and resized to the target's size is still the sigmoid's.
TEST(VulnerableForms, TheLogOfASlicedResizedSigmoidIsV2) {
  torch::manual_seed(0);
  Batch b;
  const auto forms = forms_of([&] {
    const auto pred = torch::sigmoid(b.logits) * 10;
    const auto resized = torch::upsample_bilinear2d(pred.slice(0, 0, 1), {8, 8}, false);
    torch::log(resized).mean().backward();
  });
  EXPECT_EQ(kinds(forms), (std::set<std::string>{"v2_log_sigmoid"}));
}

TEST(VulnerableForms, TheUnbiasedVarianceAndTheOnePassVarianceAreV3) {
  torch::manual_seed(0);
  Batch b;
  auto forms = forms_of([&] { torch::var(b.logits.index({b.mask})).backward(); });
  EXPECT_EQ(kinds(forms), (std::set<std::string>{"empty_mask", "v3_variance"}));
  EXPECT_NE(forms.front().evidence.find("correction 1"), std::string::npos) << forms.front().evidence;
  EXPECT_TRUE(forms_of([&] { torch::var(b.logits.index({b.mask}), /*unbiased=*/false).backward(); }).size() == 1)
      << "the population variance leaves only the empty selection";
  forms = forms_of([&] {
    const auto x = b.logits * 1;
    (x.pow(2).mean() - x.mean().pow(2)).backward();
  });
  EXPECT_EQ(kinds(forms), (std::set<std::string>{"v3_variance"}));
  EXPECT_TRUE(forms_of([&] {
                const auto x = b.logits * 1;
                (x.pow(2).mean() - 0.85 * x.mean().pow(2)).backward();
              }).empty())
      << "a coefficient below 1 keeps a variance term: it cannot cancel";
}

TEST(VulnerableForms, TheGuidelineFormsAndFiguresOutsideAutogradGiveNone) {
  torch::manual_seed(0);
  Batch b;
  EXPECT_TRUE(forms_of([&] {
                const auto log_pred = torch::log_sigmoid(b.logits) + std::log(10.0);
                const auto d = (log_pred - torch::log(torch::where(b.mask, b.target, torch::ones_like(b.target)))) * b.mask;
                const auto n = b.mask.sum().clamp_min(1);
                const auto mean = d.sum() / n;
                const auto D = ((d - mean).pow(2) * b.mask).sum() / n + 0.15 * mean.pow(2);
                {
                  torch::NoGradGuard logging_only;
                  torch::sqrt(D);
                }
                D.backward();
              }).empty());
}

TEST(VulnerableForms, AHandWrittenUnbiasedVarianceInAVarianceScopeIsV3) {
  torch::manual_seed(0);
  Batch b;
  const auto forms = forms_of([&] {
    OpScope scope("variance");
    const auto n = b.mask.sum().to(torch::kFloat);
    const auto centred = (b.logits - b.logits.mean()) * b.mask;
    (centred.pow(2).sum() / (n - 1)).backward();
  }, FixTerms::Trainer);
  ASSERT_EQ(kinds(forms), (std::set<std::string>{"v3_variance"}));
  EXPECT_EQ(forms.front().module, "variance");
  EXPECT_EQ(forms.front().fix, cause_remedy(NonFiniteCause::Variance, FixTerms::Trainer));
}

TEST(VulnerableForms, Float16RangesTheStepApproaches) {
  try {
    torch::sigmoid(torch::zeros({1}, torch::kHalf));
  } catch (const c10::Error&) {
    GTEST_SKIP() << "this LibTorch's CPU has no float16 sigmoid (1.13)";
  }
  const auto x = torch::full({4}, -16.0, torch::requires_grad()).to(torch::kHalf);
  const auto forms = forms_of([&] { torch::sigmoid(x).to(torch::kFloat).sum().backward(); });
  ASSERT_EQ(kinds(forms), (std::set<std::string>{"precision"}));
  EXPECT_NE(forms.front().evidence.find("-16"), std::string::npos) << forms.front().evidence;
  EXPECT_TRUE(forms_of([&] { torch::sigmoid(x + 10).to(torch::kFloat).sum().backward(); }).empty());
}

TEST(VulnerableForms, EdgesAndWords) {
  EXPECT_TRUE(find_vulnerable_forms({}, FixTerms::PyTorch).empty());  // N = 0 operators
  EXPECT_TRUE(forms_of([] {}).empty());
  torch::manual_seed(0);
  Batch b;
  // One finding per rule and place, however often the step runs it.
  const auto forms = forms_of([&] {
    for (int i = 0; i < 3; ++i) torch::sqrt(b.logits.pow(2).sum() + 100 - b.logits.mean()).backward();
  });
  ASSERT_EQ(forms.size(), 1u);
  const auto text = forms.front().text();
  EXPECT_EQ(text.rfind("[v1_sqrt] aten::sqrt\n  risk: the gradient of sqrt(D)", 0), 0u) << text;
  EXPECT_NE(text.find("  seen: D = "), std::string::npos) << text;
  EXPECT_EQ(forms.front().json()["kind"], "v1_sqrt");
  EXPECT_FALSE(forms.front().json().contains("site"));
}

}  // namespace
}  // namespace depthguard
