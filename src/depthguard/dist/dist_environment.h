#pragma once
// The launcher convention of torchrun and SLURM wrappers: RANK, WORLD_SIZE, MASTER_ADDR,
// MASTER_PORT (and LOCAL_RANK, the GPU of a rank on its node) in the environment, and
// torchrun's TORCHELASTIC_USE_AGENT_STORE (the launcher hosts the store).
#include <optional>

#include "depthguard/dist/dist_options.h"

namespace depthguard {

/// `base` with rank, world size and rendezvous address from the environment; none when
/// WORLD_SIZE is unset (a single process). Throws InvalidArgument naming the variable when
/// one is missing or not a number in its range (RANK in [0, WORLD_SIZE), MASTER_PORT in
/// [1, 65535], LOCAL_RANK in [0, WORLD_SIZE)); MASTER_ADDR defaults to 127.0.0.1,
/// MASTER_PORT to 29500 and LOCAL_RANK to 0. TORCHELASTIC_USE_AGENT_STORE is True or False
/// (unset: False); another value throws naming it.
std::optional<DistOptions> dist_options_from_environment(const DistOptions& base = {});

}  // namespace depthguard
