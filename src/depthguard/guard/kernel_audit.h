#pragma once
// The kernel check of `depthguard audit`: one training step with every operator that does
// real arithmetic (convolutions and their backward, mm, addmm, bmm, baddbmm, sums, means,
// batch, layer and group normalisation, softmax) re-run on the same inputs in float64 on the
// CPU, and each output compared with that reference against what the precision and the
// reduction length allow (kernel_error_bound.h). A finding is a kernel that computes wrong:
// finite, plausible and silent, as oneDNN's AVX2 1x1 strided convolution backward
// (oneDNN issue #6035, docs/guard.md "Kernels that compute wrong").
#include <functional>
#include <vector>

#include <ATen/core/Tensor.h>

#include "depthguard/guard/audit_report.h"
#include "depthguard/guard/nonfinite_cause.h"
#include "depthguard/guard/nonfinite_recorder.h"

namespace depthguard {

/// Runs `step` (forward, loss and backward) once on this thread, checking the operators it
/// and its backward run (on a GPU, the device's kernels against the CPU's float64), and
/// returns the findings with the count of operators checked. The operators inside a checked
/// one (aten::mkldnn_convolution inside aten::convolution) are its implementation, not
/// checked again. The reference runs where the operator ran, so `step` takes several times
/// its own time. An exception from `step` propagates after the callbacks are removed.
AuditReport audit_kernels(const std::function<void()>& step);

/// How the forms check of the same step (vulnerable_forms.h) speaks: its fixes' terms and, for
/// a Python loop, where the code called each operator.
struct FormsCheck {
  FixTerms terms = FixTerms::Trainer;
  CallSiteFinder find_site;
};

/// audit_kernels with the training state left as it was: the default generators' states, the
/// `buffers` (BatchNorm statistics the forward pass updates) and the `parameters`' gradients
/// are put back afterwards, so a run with the check trains as one without it, bit for bit.
/// The same step's forward operators are traced for the forms check (AuditReport::forms).
AuditReport audit_step(const std::vector<at::Tensor>& parameters, const std::vector<at::Tensor>& buffers,
                       const std::function<void()>& step, const FormsCheck& forms = {});

}  // namespace depthguard
