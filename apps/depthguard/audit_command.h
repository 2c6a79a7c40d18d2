#pragma once
#include <CLI/CLI.hpp>

namespace depthguard {

/// Registers `depthguard audit --config FILE [--set KEY=VALUE]... [--json]`: one training step
/// of the configured run (its model, first batch, layout, precision and device) with every
/// arithmetic operator checked against float64 (docs/guard.md "Kernels that compute wrong").
/// Prints the report; exits 1 when there is a finding.
void add_audit_command(CLI::App& app);

}  // namespace depthguard
