#pragma once
// Which malloc this process runs on. LibTorch's CPU tensors come from malloc; glibc's
// returns every block above its mmap threshold to the kernel and maps it fresh (zero-filled,
// page fault by page fault) on the next step, which costs a training step most of its time
// on a small machine. depthguard's programs link gperftools' tcmalloc, which keeps them
// (docs/training.md, "Speed"); this says whether that took effect.
#include <string>

namespace depthguard {

/// "tcmalloc" or "jemalloc" when that allocator serves this process's malloc (linked or
/// preloaded), else "glibc". Looked up by symbol in the running process, so it tells what
/// really happened, not what the build asked for.
std::string active_allocator();

}  // namespace depthguard
