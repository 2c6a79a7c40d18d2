#pragma once
// What `depthguard audit` found in one healthy training step: the kernel check's findings
// (kernel_audit.h: a finding names the operator, where it ran, what was measured against which
// bound, and what to do) and the forms check's (vulnerable_forms.h: the paper's vulnerable
// forms, before they produce a NaN).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "depthguard/guard/vulnerable_forms.h"

namespace depthguard {

struct AuditFinding {
  /// The cause's name (nonfinite_cause.h): "device_kernel" for a kernel that computes wrong.
  std::string kind;
  std::string op;         ///< the operator ("aten::convolution_backward")
  std::string direction;  ///< "forward" or "backward"
  std::string node;       ///< the backward node that ran it ("ConvolutionBackward0"); "" in forward
  std::string where;      ///< module path ("encoder.layer2.0.downsample"); "" outside every module
  std::string output;     ///< which output was wrong ("grad_weight", "output")
  std::string inputs;     ///< "input [2, 6, 32, 32], weight [12, 6, 1, 1], ..." (tensor arguments)
  std::string dtype, layout, device;  ///< of the operator's first tensor input ("channels_last", "contiguous")
  int64_t reduction_length = 0;       ///< the sum behind each output element (what the bound grows with)
  double measured = 0;  ///< max |out - float64 reference| over the output, relative to its scale
  double bound = 0;     ///< the most a correct kernel can be off, in the same units
  std::string fix;      ///< what to do, as PyTorch code and as depthguard's setting

  /// Several lines: "[device_kernel] aten::convolution_backward (backward) in MODULE: ..."
  std::string text() const;
  nlohmann::json json() const;
};

struct AuditReport {
  std::vector<AuditFinding> findings;
  int64_t ops_checked = 0;  ///< operators re-run against float64
  /// Operators of the checked kinds whose float64 re-run failed (a schema this version of the
  /// check does not know), and the first of them with LibTorch's reason: not checked, said so.
  int64_t ops_unchecked = 0;
  std::string first_unchecked;
  std::string kernels;      ///< the CPU kernel family the step ran ("oneDNN AVX-512", runtime/cpu_kernels.h)
  double seconds = 0;       ///< the audit's wall time, the step itself included
  /// The vulnerable forms of the step's loss and head: advice, not a failure (a run may use them
  /// on purpose, as the study's baseline does).
  std::vector<FormFinding> forms;

  /// No kernel computes wrong (the forms are not counted: they have not failed yet).
  bool clean() const { return findings.empty(); }
  /// A report a user reads: a header line with the counts, then each finding.
  std::string text() const;
  nlohmann::json json() const;
};

}  // namespace depthguard
