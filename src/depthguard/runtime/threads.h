#pragma once

namespace depthguard {

/// Sets LibTorch's intra-op thread count and returns it. `requested` <= 0 means every
/// core the machine reports (LibTorch's own default here is 1, whatever the core count).
int configure_threads(int requested);

}  // namespace depthguard
