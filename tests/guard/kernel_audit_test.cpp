// The kernel check on real LibTorch steps: right kernels give no finding; a kernel made wrong
// (a callback that scales an operator's output after it ran, before the check sees it) is found
// with its operator, direction, module and output; the state the step touched is put back.
#include <stdexcept>
#include <string>

#include <ATen/record_function.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "depthguard/guard/kernel_audit.h"
#include "depthguard/guard/op_scope.h"
#include "test_support.h"

namespace depthguard {
namespace {

struct Net : torch::nn::Module {
  torch::nn::Conv2d conv{torch::nn::Conv2dOptions(3, 8, 3).padding(1)};
  torch::nn::BatchNorm2d bn{8};
  torch::nn::LayerNorm ln{torch::nn::LayerNormOptions({8})};
  torch::nn::Linear fc{8, 4};
  Net() {
    register_module("conv", conv);
    register_module("bn", bn);
    register_module("ln", ln);
    register_module("fc", fc);
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto y = scoped("block", [&] { return bn(conv(x)).relu(); });
    auto tokens = ln(y.flatten(2).transpose(1, 2));                // [B, HW, 8]
    auto attn = torch::softmax(torch::bmm(tokens, tokens.transpose(1, 2)), -1);
    return scoped("head", [&] { return fc(torch::bmm(attn, tokens).mean(1)); }).sum();  // fc: an addmm
  }
};

AuditReport audit_of(Net& net, const torch::Tensor& x) {
  return audit_kernels([&] { net.forward(x).backward(); });
}

TEST(KernelAudit, RightKernelsGiveNoFinding) {
  torch::manual_seed(0);
  Net net;
  for (auto layout : {torch::MemoryFormat::Contiguous, torch::MemoryFormat::ChannelsLast}) {
    const auto report = audit_of(net, torch::randn({2, 3, 8, 8}).contiguous(layout));
    EXPECT_TRUE(report.clean()) << report.text();
    // conv, its backward, batch norm, layer norm, two bmm forward and four backward, softmax,
    // the linear's addmm and its two backward mm, the mean: at least these.
    EXPECT_GE(report.ops_checked, 14) << report.text();
    EXPECT_EQ(report.ops_unchecked, 0) << report.text();
  }
}

TEST(KernelAudit, RightKernelsGiveNoFindingInBfloat16) {
  if (!testing::bfloat16_convolutions_run()) GTEST_SKIP() << "this LibTorch has no bfloat16 convolution on these kernels";
  torch::manual_seed(0);
  Net net;
  net.to(torch::kBFloat16);
  const auto report = audit_of(net, torch::randn({2, 3, 8, 8}).to(torch::kBFloat16));
  EXPECT_TRUE(report.clean()) << report.text();
  EXPECT_GE(report.ops_checked, 10);
}

// Makes `op`'s output `index` wrong by `factor` once it has run, as a buggy kernel would.
class WrongKernel {
 public:
  WrongKernel(std::string op, size_t index, double factor) {
    static thread_local WrongKernel* current = nullptr;
    current = this;
    op_ = std::move(op);
    index_ = index;
    factor_ = factor;
    handle_ = at::addThreadLocalCallback(
        at::RecordFunctionCallback(nullptr,
                                   [](const at::RecordFunction& fn, at::ObserverContext*) {
                                     if (current == nullptr || fn.name() != current->op_) return;
                                     at::DisableRecordFunctionGuard quiet;
                                     torch::NoGradGuard no_grad;
                                     const auto out = fn.outputs();
                                     if (current->index_ < out.size() && out[current->index_].isTensor()) {
                                       out[current->index_].toTensor().mul_(current->factor_);
                                     }
                                   })
            .needsOutputs(true));
  }
  ~WrongKernel() { at::removeCallback(handle_); }

 private:
  std::string op_;
  size_t index_ = 0;
  double factor_ = 1;
  at::CallbackHandle handle_;
};

TEST(KernelAudit, AWrongForwardKernelIsNamedWithItsModule) {
  torch::manual_seed(0);
  Net net;
  const WrongKernel wrong("aten::addmm", 0, 1.01);  // 1% off: far beyond float32's bound
  const auto report = audit_of(net, torch::randn({2, 3, 8, 8}));
  ASSERT_EQ(report.findings.size(), 1u) << report.text();
  const auto& f = report.findings.front();
  EXPECT_EQ(f.kind, "device_kernel");
  EXPECT_EQ(f.op, "aten::addmm");
  EXPECT_EQ(f.direction, "forward");
  EXPECT_EQ(f.where, "head");
  EXPECT_EQ(f.output, "output");
  EXPECT_EQ(f.dtype, "float32");
  EXPECT_EQ(f.device, "cpu");
  EXPECT_NEAR(f.measured, 0.01, 0.005);
  EXPECT_LT(f.bound, 1e-4);
  EXPECT_NE(report.text().find("1 finding"), std::string::npos);
}

TEST(KernelAudit, AWrongBackwardKernelIsNamedWithTheOutputItGotWrong) {
  torch::manual_seed(0);
  Net net;
  const WrongKernel wrong("aten::convolution_backward", 1, 1.5);  // grad_weight
  const auto report = audit_of(net, torch::randn({2, 3, 8, 8}).contiguous(torch::MemoryFormat::ChannelsLast));
  ASSERT_EQ(report.findings.size(), 1u) << report.text();
  const auto& f = report.findings.front();
  EXPECT_EQ(f.op, "aten::convolution_backward");
  EXPECT_EQ(f.direction, "backward");
  EXPECT_EQ(f.node, "ConvolutionBackward0");
  EXPECT_EQ(f.where, "block");  // the module of the forward convolution
  EXPECT_EQ(f.output, "grad_weight");
  EXPECT_EQ(f.layout, "channels_last");
  EXPECT_EQ(f.reduction_length, 2 * 8 * 8);  // batch x output pixels
  EXPECT_GT(f.measured, 0.1);
  EXPECT_NE(f.inputs.find("weight [8, 3, 3, 3]"), std::string::npos) << f.inputs;
  EXPECT_FALSE(f.fix.empty());
}

TEST(KernelAudit, TheStepsStateIsPutBack) {
  torch::manual_seed(0);
  Net net;
  net.train();
  const auto x = torch::randn({2, 3, 8, 8});
  const auto mean_before = net.bn->running_mean.clone();
  net.fc->weight.mutable_grad() = torch::full_like(net.fc->weight, 7.0);
  torch::manual_seed(5);
  const auto report = audit_step(net.parameters(), net.buffers(), [&] {
    torch::dropout(net.forward(x), 0.5, true).backward();  // draws from the generator
  });
  const auto drawn_after = torch::rand({4});
  torch::manual_seed(5);
  EXPECT_TRUE(torch::equal(drawn_after, torch::rand({4})));  // the generator as before
  EXPECT_TRUE(report.clean()) << report.text();
  EXPECT_TRUE(torch::equal(net.bn->running_mean, mean_before));
  EXPECT_TRUE(torch::equal(net.fc->weight.grad(), torch::full_like(net.fc->weight, 7.0)));
  EXPECT_FALSE(net.conv->weight.grad().defined());
}

TEST(KernelAudit, OneAuditAtATimeAndAThrowingStepLeavesNoCallback) {
  EXPECT_THROW(audit_kernels([] { audit_kernels([] {}); }), std::logic_error);
  EXPECT_THROW(audit_kernels([] { throw std::runtime_error("step failed"); }), std::runtime_error);
  EXPECT_TRUE(audit_kernels([] {}).clean());  // usable again
}

}  // namespace
}  // namespace depthguard
