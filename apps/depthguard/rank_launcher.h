#pragma once
// `depthguard train --nproc N`: N ranks of one training on this machine.
#include <string>
#include <vector>

namespace depthguard {

/// Runs `command` (the depthguard arguments after the program, without --nproc) as
/// `ranks` processes with the torchrun environment (RANK, WORLD_SIZE, LOCAL_RANK,
/// MASTER_ADDR=127.0.0.1, MASTER_PORT, TORCHELASTIC_USE_AGENT_STORE=True: this process
/// hosts the store, on a port of the kernel's pick) and `threads_per_rank` intra-op threads
/// each. Rank 0 writes to this process's output, rank R to `log_dir`/rank-R.log. Ctrl-C
/// reaches every rank (they stop after the same step; rank 0 saves). Returns when all have
/// ended; throws the CLI error of the first rank that failed (NonFiniteHalt for exit 3,
/// Interrupted for 130, else std::runtime_error naming the rank and its log).
void launch_ranks(const std::vector<std::string>& command, int ranks, int threads_per_rank,
                  const std::string& log_dir);

}  // namespace depthguard
