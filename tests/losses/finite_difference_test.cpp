// Every loss's autograd gradient against float64 central finite differences.
#include "depthguard/losses/berhu_loss.h"
#include "depthguard/losses/gradient_matching_loss.h"
#include "depthguard/losses/l1_loss.h"
#include "depthguard/losses/silog_loss.h"
#include "depthguard/losses/ssi_loss.h"
#include "test_support.h"

namespace depthguard {
namespace {

using testing::expect_gradient_matches_finite_differences;

struct Batch {
  torch::Tensor pred, gt, mask;
};

// A [2, 1, 4, 5] batch with holes in the ground truth, positive depths, fixed seed.
Batch random_batch() {
  torch::manual_seed(7);
  const auto opts = torch::TensorOptions().dtype(torch::kDouble);
  auto gt = torch::rand({2, 1, 4, 5}, opts) * 5 + 0.5;
  const auto holes = torch::rand({2, 1, 4, 5}) < 0.25;
  gt = torch::where(holes, torch::zeros_like(gt), gt);
  return {torch::rand({2, 1, 4, 5}, opts) * 5 + 0.5, gt, gt > 0};
}

TEST(LossGradients, SilogEveryFormMatchesFiniteDifferences) {
  const auto b = random_batch();
  for (const auto& [rname, reduction] : silog_reduction_choices()) {
    for (const auto& [vname, variance] : variance_kind_choices()) {
      for (const auto& [sname, scope] : loss_scope_choices()) {
        SCOPED_TRACE(rname + " " + vname + " " + sname);
        const auto opts = SilogLossOptions().reduction(reduction).variance(variance).scope(scope);
        expect_gradient_matches_finite_differences(
            [&](const torch::Tensor& p) { return silog_loss(p, b.gt, b.mask, opts).loss; },
            torch::log(b.pred));
      }
    }
  }
}

TEST(LossGradients, MaskedL1MatchesFiniteDifferences) {
  const auto b = random_batch();
  expect_gradient_matches_finite_differences(
      [&](const torch::Tensor& p) { return masked_l1_loss(p, b.gt, b.mask).loss; }, b.pred);
}

// c carries no gradient (Laina et al.), so the pixel that sets c is the one place where
// the finite difference, which moves c, differs by design.
TEST(LossGradients, BerhuMatchesFiniteDifferencesAwayFromThePixelSettingC) {
  const auto b = random_batch();
  const auto r = torch::where(b.mask, (b.pred - b.gt).abs(), torch::zeros_like(b.pred));
  const auto check = r < r.max();
  expect_gradient_matches_finite_differences(
      [&](const torch::Tensor& p) { return berhu_loss(p, b.gt, b.mask).loss; }, b.pred, check);
}

TEST(LossGradients, GradientMatchingMatchesFiniteDifferences) {
  const auto b = random_batch();
  expect_gradient_matches_finite_differences(
      [&](const torch::Tensor& p) { return gradient_matching_loss(p, b.gt, b.mask).loss; }, b.pred);
}

TEST(LossGradients, SsiMatchesFiniteDifferences) {
  const auto b = random_batch();
  expect_gradient_matches_finite_differences(
      [&](const torch::Tensor& p) { return ssi_loss(p, b.gt, b.mask).loss; }, b.pred);
}

}  // namespace
}  // namespace depthguard
