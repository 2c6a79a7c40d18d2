// The conditions a reproducer records, and replays under them.
#include "depthguard/guard/step_conditions.h"

#include <stdexcept>

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

namespace depthguard {
namespace {

TEST(StepConditions, BytesRoundTripTheThreadCountAndTheGenerators) {
  torch::manual_seed(7);
  const StepConditions recorded{3, GeneratorStates::capture()};
  const auto expected = torch::rand({5});
  const auto read = StepConditions::from_bytes(recorded.bytes());
  EXPECT_EQ(read.intra_op_threads, 3);
  ASSERT_TRUE(read.generators);
  read.generators->restore();
  EXPECT_TRUE(torch::equal(torch::rand({5}), expected));
}

TEST(StepConditions, NothingRecordedReadsBackAsNothing) {
  const auto read = StepConditions::from_bytes(StepConditions{}.bytes());
  EXPECT_EQ(read.intra_op_threads, 0);
  EXPECT_FALSE(read.generators);
}

TEST(StepConditions, BytesThatAreNotConditionsAreAnError) {
  EXPECT_THROW(StepConditions::from_bytes("not a pickle"), std::runtime_error);
  EXPECT_THROW(StepConditions::from_bytes(""), std::runtime_error);
}

TEST(ReplayConditions, RunsOnTheStepsThreadsAndPutsTheProcesssBack) {
  const int before = at::get_num_threads();
  const StepConditions recorded{before == 1 ? 2 : 1, std::nullopt};
  {
    const ReplayConditions under(recorded, 0);
    EXPECT_EQ(under.threads(), recorded.intra_op_threads);
  }
  EXPECT_EQ(at::get_num_threads(), before);
  {
    const ReplayConditions overridden(recorded, 3);
    EXPECT_EQ(overridden.threads(), 3);
  }
  EXPECT_EQ(at::get_num_threads(), before);
  const ReplayConditions unrecorded(StepConditions{}, 0);
  EXPECT_EQ(unrecorded.threads(), before);
}

TEST(ReplayConditions, EachRestartDrawsWhatTheStepDrewAndTheStreamGoesOnAfter) {
  torch::manual_seed(11);
  const StepConditions step{0, GeneratorStates::capture()};
  const auto drawn = torch::bernoulli(torch::full({64}, 0.5));
  const auto next = torch::rand({3});  // what the process draws next, replays or not
  torch::manual_seed(11);
  torch::bernoulli(torch::full({64}, 0.5));
  {
    const ReplayConditions under(step, 0);
    for (int replay = 0; replay < 2; ++replay) {
      under.restart();
      EXPECT_TRUE(torch::equal(torch::bernoulli(torch::full({64}, 0.5)), drawn)) << replay;
    }
  }
  EXPECT_TRUE(torch::equal(torch::rand({3}), next));
}

}  // namespace
}  // namespace depthguard
