#include "depthguard/guard/tensor_summary.h"

#include <limits>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "test_support.h"

namespace depthguard {
namespace {

using testing::kNaN;
using testing::kInf;

TEST(TensorSummary, CountsEveryKindOfValue) {
  const auto s = summarize(torch::tensor({0.0F, -2.0F, 3.0F, kNaN, kInf, -kInf, 0.0F}));
  EXPECT_EQ(s.numel, 7);
  EXPECT_EQ(s.shape, std::vector<int64_t>{7});
  EXPECT_EQ(s.dtype, "Float");
  EXPECT_EQ(*s.min, -2.0);
  EXPECT_EQ(*s.max, 3.0);
  EXPECT_EQ(s.zeros, 2);
  EXPECT_EQ(s.negatives, 2);  // -2 and -inf
  EXPECT_EQ(s.nan, 1);
  EXPECT_EQ(s.posinf, 1);
  EXPECT_EQ(s.neginf, 1);
  EXPECT_EQ(s.nonfinite(), 3);
  EXPECT_NE(s.text().find("min -2, max 3"), std::string::npos) << s.text();
}

TEST(TensorSummary, Edges) {
  EXPECT_EQ(summarize(torch::Tensor()).numel, 0);
  const auto empty = summarize(torch::zeros({0, 3}));
  EXPECT_EQ(empty.numel, 0);
  EXPECT_FALSE(empty.min);
  EXPECT_EQ(empty.shape, (std::vector<int64_t>{0, 3}));
  EXPECT_NE(empty.text().find("[0, 3] Float: empty;"), std::string::npos) << empty.text();  // not "no finite value"
  const auto one = summarize(torch::tensor({5.0}));
  EXPECT_EQ(*one.min, 5.0);
  EXPECT_EQ(*one.max, 5.0);
  const auto nans = summarize(torch::full({2, 2}, kNaN));
  EXPECT_FALSE(nans.min);
  EXPECT_EQ(nans.nan, 4);
  EXPECT_NE(nans.text().find("no finite value"), std::string::npos);
  const auto ints = summarize(torch::tensor({-1, 0, 2}));
  EXPECT_EQ(ints.negatives, 1);
  EXPECT_EQ(ints.zeros, 1);
  EXPECT_EQ(ints.nonfinite(), 0);
}

// Reports say where the value was computed: the device joins the dtype when it is not the CPU.
TEST(TensorSummary, RecordsTheDeviceAndNamesItOnlyOutsideTheCpu) {
  const auto cpu = summarize(torch::tensor({1.0f}));
  EXPECT_EQ(cpu.device, "cpu");
  EXPECT_EQ(cpu.text().rfind("[1] Float: ", 0), 0u) << cpu.text();
}

TEST(TensorSummary, NamesACudaDevice) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const auto gpu = summarize(torch::tensor({1.0f}).to(torch::kCUDA).to(torch::kHalf));
  EXPECT_EQ(gpu.device, "cuda:0");
  EXPECT_EQ(gpu.text().rfind("[1] Half on cuda:0: ", 0), 0u) << gpu.text();
}

}  // namespace
}  // namespace depthguard
