#include "depthguard/guard/op_scope.h"

#include <ATen/record_function.h>

namespace depthguard {

OpScope::OpScope(const char* name) {
  auto callbacks = at::getStepCallbacksUnlessEmpty(at::RecordScope::USER_SCOPE);
  if (!callbacks) return;
  fn_ = std::make_unique<at::RecordFunction>(std::move(*callbacks));
  fn_->before(name);
}

// Destroying the record function ends it, running the end callbacks.
OpScope::~OpScope() = default;

}  // namespace depthguard
