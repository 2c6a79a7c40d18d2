#pragma once
// The suite's checks against Python's torch, timm and TensorBoard run in DEPTHGUARD_PYTHON
// (test_paths.h): in the LibTorch 2.x build (make test) its own virtual environment,
// whose requirements-torch2.txt has them all, so a missing module fails the test there; in
// the 1.13 build Debian's python3, where a missing module skips it.
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "test_paths.h"

namespace depthguard::testing {

/// Whether DEPTHGUARD_PYTHON imports `modules` ("torch", "timm, torch": as Python's `import`
/// takes them).
inline bool python_imports(const std::string& modules) {
  const auto command = std::string(DEPTHGUARD_PYTHON) + " -c 'import " + modules + "' >/dev/null 2>&1";
  return std::system(command.c_str()) == 0;
}

/// The shell command that runs `args` in DEPTHGUARD_PYTHON.
inline std::string python_command(const std::string& args) { return std::string(DEPTHGUARD_PYTHON) + " " + args; }

}  // namespace depthguard::testing

/// In a test body: skips it when DEPTHGUARD_PYTHON lacks `modules`, or fails it where the
/// build's requirements promise them.
#define DEPTHGUARD_REQUIRE_PYTHON(modules)                                                               \
  do {                                                                                                   \
    if (!::depthguard::testing::python_imports(modules)) {                                               \
      if (DEPTHGUARD_PYTHON_REQUIRED) FAIL() << DEPTHGUARD_PYTHON << " cannot import " << (modules);     \
      GTEST_SKIP() << DEPTHGUARD_PYTHON << " cannot import " << (modules);                               \
    }                                                                                                    \
  } while (0)
