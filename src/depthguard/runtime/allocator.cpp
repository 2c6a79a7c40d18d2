#include "depthguard/runtime/allocator.h"

#include <dlfcn.h>

namespace depthguard {

std::string active_allocator() {
  // Each allocator exports an entry point glibc does not have.
  if (dlsym(RTLD_DEFAULT, "tc_malloc") != nullptr) return "tcmalloc";
  if (dlsym(RTLD_DEFAULT, "mallctl") != nullptr) return "jemalloc";
  return "glibc";
}

}  // namespace depthguard
