#pragma once
// Which depthguard this is: the release and the commit it was built from, as runs and
// reports record it (cmake/GitVersion.cmake generates the definition at each build).

namespace depthguard {

/// "0.1.0 (3f2a1bc)", "0.1.0 (3f2a1bc, modified)" for uncommitted changes, or
/// "0.1.0 (not built from a git checkout)".
const char* build_version();

}  // namespace depthguard
