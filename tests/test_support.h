#pragma once
// Shared helpers of the test suite: gradients, finiteness and finite-difference checks,
// file contents.
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <string>

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace depthguard::testing {

/// +inf and NaN for edge tests, in float and in double (a braced tensor literal takes one
/// scalar type).
inline constexpr float kInf = std::numeric_limits<float>::infinity();
inline constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
inline constexpr double kInf64 = std::numeric_limits<double>::infinity();
inline constexpr double kNaN64 = std::numeric_limits<double>::quiet_NaN();

/// The bytes of the file at `path` ("" when it cannot be read).
inline std::string file_content(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

using ScalarFn = std::function<torch::Tensor(const torch::Tensor&)>;

/// d f(x) / d x by autograd (zeros when f does not depend on x).
inline torch::Tensor grad_of(const ScalarFn& f, const torch::Tensor& x) {
  const auto xg = x.detach().clone().requires_grad_(true);
  const auto y = f(xg);
  const auto g = torch::autograd::grad({y}, {xg}, {}, false, false, /*allow_unused=*/true)[0];
  return g.defined() ? g : torch::zeros_like(x);
}

/// Whether this LibTorch runs bfloat16 convolutions on this CPU's kernels (1.13's oneDNN has
/// none on the AVX2 family: "could not create a primitive descriptor iterator").
inline bool bfloat16_convolutions_run() {
  try {
    const auto w = torch::ones({8, 3, 3, 3}, torch::kBFloat16).requires_grad_();  // an RGB stem, as the models'
    torch::conv2d(torch::ones({2, 3, 16, 16}, torch::kBFloat16), w, {}, 1, 1).sum().backward();
    return true;
  } catch (const std::exception&) {  // oneDNN's own dnnl::error, not a c10::Error
    return false;
  }
}

inline bool all_finite(const torch::Tensor& t) { return torch::isfinite(t).all().item<bool>(); }
inline bool any_nan(const torch::Tensor& t) { return torch::isnan(t).any().item<bool>(); }

/// The message of the E that `f` throws; "" when it throws nothing (any other exception
/// propagates and fails the test).
template <class E = std::exception, class F>
std::string error_message(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "";
}

/// Checks autograd's gradient of the scalar f at float64 `x` against central finite
/// differences, at every entry where `check` (bool, same shape; all when undefined) is true.
inline void expect_gradient_matches_finite_differences(const ScalarFn& f, const torch::Tensor& x,
                                                       torch::Tensor check = {},
                                                       double h = 1e-6, double tol = 1e-5) {
  ASSERT_EQ(x.scalar_type(), torch::kDouble);
  const auto analytic = grad_of(f, x).flatten();
  const auto checked = check.defined() ? check.flatten() : torch::ones({x.numel()}, torch::kBool);
  torch::NoGradGuard no_grad;
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (!checked[i].item<bool>()) continue;
    auto plus = x.clone(), minus = x.clone();
    plus.view(-1)[i] += h;
    minus.view(-1)[i] -= h;
    const double numeric = (f(plus).item<double>() - f(minus).item<double>()) / (2 * h);
    const double got = analytic[i].item<double>();
    EXPECT_NEAR(got, numeric, tol * (1 + std::abs(numeric))) << "entry " << i;
  }
}

}  // namespace depthguard::testing
