#pragma once
// What a tensor holds, in the few numbers that explain a non-finite value: its shape, range
// and how many zeros, negatives and non-finite elements it has.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <torch/types.h>

namespace depthguard {

struct TensorSummary {
  std::vector<int64_t> shape;
  std::string dtype;
  std::string device = "cpu";  ///< where the tensor lived ("cuda:0")
  int64_t numel = 0;
  std::optional<double> min;  ///< over the finite elements; none when there is no finite element
  std::optional<double> max;
  int64_t zeros = 0;
  int64_t negatives = 0;  ///< finite values below zero, and -inf
  int64_t nan = 0;
  int64_t posinf = 0;
  int64_t neginf = 0;

  int64_t nonfinite() const { return nan + posinf + neginf; }
  /// e.g. "[8, 1, 32, 32] float: min 0, max 3.2; 12 zeros, 0 negative, 0 NaN, 0 +inf, 0 -inf"
  /// ("... Half on cuda:0: ..." for a tensor that was not on the CPU; "[0] Float: empty; ..."
  /// for one without elements, "no finite value" for one whose elements are all NaN or inf)
  std::string text() const;
};

/// Summarises `t` (any device, any dtype; integer and bool tensors count zeros and
/// negatives, never non-finite). Edges: an undefined or empty tensor gives numel 0 and no
/// min/max; an all-NaN tensor has no min/max and nan = numel.
TensorSummary summarize(const torch::Tensor& t);

}  // namespace depthguard
