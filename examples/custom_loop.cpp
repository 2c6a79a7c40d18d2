// Your own LibTorch training loop under depthguard's NaN sentinel.
//
// The model and the loop below are plain LibTorch; the sentinel adds one call per stage
// (docs/guard.md). Two runs:
//   1. a healthy regression with a NaN injected into one batch: the sentinel skips that
//      update and training goes on;
//   2. a model with a vulnerable operation, sqrt(sqrt(x - 2)): the first loss is NaN, the
//      sentinel halts and its forensics names the operator that produced the NaN (the
//      inner sqrt, whose input is negative, not the outer one that passes the NaN on) and
//      the module it ran in.
// Exit code 0 when both behave as described; the test suite runs this program.
#include <cstdio>
#include <limits>

#include <torch/torch.h>

#include "depthguard/core/errors.h"
#include "depthguard/guard/fault_injector.h"
#include "depthguard/guard/op_scope.h"
#include "depthguard/guard/sentinel.h"

namespace dg = depthguard;

// A small regression network. OpScope names its parts for the forensics report (LibTorch's
// C++ modules do not record their names for operator callbacks).
struct NetImpl : torch::nn::Module {
  explicit NetImpl(bool vulnerable) : vulnerable(vulnerable) {
    hidden = register_module("hidden", torch::nn::Linear(4, 16));
    out = register_module("out", torch::nn::Linear(16, 1));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    dg::OpScope net("net");
    auto h = torch::relu(hidden(x));
    dg::OpScope head("head");
    auto y = out(h);
    // The vulnerable form: NaN wherever y < 2 (and its gradient is unbounded near 2).
    return vulnerable ? torch::sqrt(torch::sqrt(y - 2)) : y;
  }
  bool vulnerable;
  torch::nn::Linear hidden{nullptr}, out{nullptr};
};
TORCH_MODULE(Net);

// Trains y = sum(x) for `steps` steps under the sentinel, with `options`; returns the
// sentinel's last loss.
double train(Net& net, const dg::GuardOptions& options, int64_t steps) {
  torch::optim::Adam optimizer(net->parameters(), torch::optim::AdamOptions(1e-2));
  dg::Sentinel sentinel(*net, optimizer, options);
  dg::FaultInjector injector(options);
  sentinel.start(0);
  while (sentinel.step() < steps) {
    auto x = torch::randn({16, 4});
    const auto y = x.sum(1, /*keepdim=*/true);
    injector.inject(dg::InjectSite::Image, sentinel.step(), x);  // a NaN in the batch, once
    const auto loss_of = [&] { return torch::mse_loss(net->forward(x), y); };
    sentinel.begin_step({}, loss_of);  // loss_of lets the forensics replay this step
    if (!sentinel.check_inputs({x, y})) continue;
    optimizer.zero_grad();
    const auto loss = loss_of();
    if (!sentinel.check_loss(loss.item<double>())) continue;
    loss.backward();
    if (!sentinel.check_gradients(/*max_norm=*/10)) continue;
    optimizer.step();
    if (!sentinel.check_weights()) continue;
    sentinel.end_step(1e-2);
  }
  std::printf("trained %lld steps, %lld skipped, last loss %.4f\n", static_cast<long long>(sentinel.step()),
              static_cast<long long>(sentinel.nonfinite_steps()), sentinel.loss());
  return sentinel.loss();
}

int main() {
  torch::manual_seed(0);
  std::printf("1. a NaN injected into the batch of step 5\n");
  Net healthy(/*vulnerable=*/false);
  const double loss = train(healthy, dg::GuardOptions().inject_site(dg::InjectSite::Image).inject_step(5), 200);
  if (!(loss < 0.5)) {
    std::printf("FAILED: the healthy model did not learn\n");
    return 1;
  }

  std::printf("2. a model with sqrt(sqrt(x - 2))\n");
  Net vulnerable(/*vulnerable=*/true);
  try {
    train(vulnerable, dg::GuardOptions().policy(dg::GuardPolicy::Halt), 200);
  } catch (const dg::NonFiniteHalt& halt) {
    std::printf("stopped by the sentinel: %s\n", halt.what());
    return 0;  // the report was logged before the halt
  }
  std::printf("FAILED: the vulnerable model was not stopped\n");
  return 1;
}
