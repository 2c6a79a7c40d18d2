#pragma once
// The call site of an operator in a Python training loop: the innermost frame of the Python
// stack whose file lies outside torch's and depthguard's packages (the user's model, loss or
// loop, or another library they call), for the forensics replay's report.
#include <optional>

#include "depthguard/guard/nonfinite_recorder.h"

namespace depthguard::python {

/// The CallSiteFinder of a Python thread. Safe to call with or without the GIL held (it takes
/// it); none when the thread runs no Python frame outside those packages.
std::optional<CallSite> python_call_site();

}  // namespace depthguard::python
