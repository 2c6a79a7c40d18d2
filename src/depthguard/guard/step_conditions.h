#pragma once
// What a step's numbers depend on besides its batch and weights: the intra-op thread count (it
// sets how a CPU reduction is split, so how it rounds: a SILog D that is exactly 0 on one
// thread can be 2.7e-6 on two) and the random generators' states (dropout, drop-path). A
// reproducer records them with the step; a replay runs under them, so that it gives the
// verdict the live step would.
#include <cstdint>
#include <optional>
#include <string>

#include "depthguard/guard/generator_keeper.h"

namespace depthguard {

struct StepConditions {
  int64_t intra_op_threads = 0;               ///< at::get_num_threads() of the step; 0: not recorded
  std::optional<GeneratorStates> generators;  ///< the default generators as the step began; none: not recorded

  /// Serialised (LibTorch's pickle format), for a reproducer file.
  std::string bytes() const;
  /// Reads bytes() back. Throws std::runtime_error when they are not such conditions.
  static StepConditions from_bytes(const std::string& bytes);
};

/// While alive, replays run under a step's conditions: its thread count (or `threads` when
/// > 0: an override), and its generators at each restart(); the process's thread count and
/// generators are put back when it ends. Conditions not recorded leave those as they are.
class ReplayConditions {
 public:
  ReplayConditions(const StepConditions& conditions, int64_t threads);
  ~ReplayConditions();
  ReplayConditions(const ReplayConditions&) = delete;
  ReplayConditions& operator=(const ReplayConditions&) = delete;

  /// Before each replay: the generators as the step began.
  void restart() const;
  /// The intra-op thread count the replays run on.
  int64_t threads() const;

 private:
  const StepConditions& conditions_;
  int previous_threads_;
  GeneratorKeeper keep_generators_;
};

}  // namespace depthguard
