#include "depthguard/guard/generator_keeper.h"

#include <torch/torch.h>

#include "test_support.h"

namespace depthguard {
namespace {

// What the default CPU generator draws next: uniform values, and a lone normal value of each
// precision (Box-Muller makes two and keeps the second for the next draw: state outside the
// engine that a replay must also put back).
torch::Tensor next_draws() {
  return torch::cat({torch::rand({5}, torch::kDouble), torch::randn({1}, torch::kDouble),
                     torch::randn({1}, torch::kFloat).to(torch::kDouble)});
}

TEST(GeneratorStates, RestorePutsBackTheEngineAndTheKeptNormalSamples) {
  torch::manual_seed(7);
  torch::randn({1}, torch::kDouble);  // leaves a normal sample kept
  const auto captured = GeneratorStates::capture();
  const auto first = next_draws();
  captured.restore();
  EXPECT_TRUE(torch::equal(next_draws(), first));
  // A capture is a copy: reseeding after it changes nothing of what it restores.
  torch::manual_seed(8);
  captured.restore();
  EXPECT_TRUE(torch::equal(next_draws(), first));
}

TEST(GeneratorStates, RestoreOfNothingCapturedIsAnError) {
  try {
    GeneratorStates{}.restore();
    FAIL() << "no error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what_without_backtrace()).find("no states captured"), std::string::npos)
        << e.what_without_backtrace();
  }
}

TEST(GeneratorKeeper, DrawsInsideItsScopeLeaveTheStreamAsItWas) {
  torch::manual_seed(3);
  const auto expected = next_draws();
  torch::manual_seed(3);
  {
    GeneratorKeeper keeper;
    torch::rand({100});
    torch::manual_seed(99);
  }
  EXPECT_TRUE(torch::equal(next_draws(), expected));
}

}  // namespace
}  // namespace depthguard
