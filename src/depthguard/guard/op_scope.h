#pragma once
// Names a region of code (a module, a loss term) for LibTorch's operator callbacks, so the
// forensics replay can say where an operation ran ("model.head", "loss.silog.variance").
// Costs one check of a thread-local flag when no callback listens for user scopes.
#include <memory>

namespace at {
struct RecordFunction;
}

namespace depthguard {

/// While alive, operators run inside `name` (nested scopes join with '.').
class OpScope {
 public:
  explicit OpScope(const char* name);
  ~OpScope();
  OpScope(const OpScope&) = delete;
  OpScope& operator=(const OpScope&) = delete;

 private:
  std::unique_ptr<at::RecordFunction> fn_;
};

/// f() inside the scope `name`.
template <class F>
auto scoped(const char* name, F&& f) {
  OpScope scope(name);
  return f();
}

}  // namespace depthguard
