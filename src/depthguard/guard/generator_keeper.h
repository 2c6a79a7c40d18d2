#pragma once
// LibTorch's default generators (the CPU's and each CUDA device's): a replay that loads a
// saved state, or runs random operators again, must not change the random stream of the run
// around it, and a step run again must draw what it drew the first time.
#include <vector>

#include <ATen/core/Tensor.h>

namespace depthguard {

/// The states of the default generators at one moment.
class GeneratorStates {
 public:
  /// The states now: the CPU generator's and, where CUDA is available, each device's.
  static GeneratorStates capture();
  /// Puts them back: the CPU generator's, and each CUDA device's that this process has (a
  /// state recorded on a machine with more devices keeps only theirs).
  void restore() const;

  /// The states as tensors, the CPU's first (for a file); from_tensors reads them back.
  /// Throws c10::Error when `states` is empty.
  std::vector<at::Tensor> tensors() const;
  static GeneratorStates from_tensors(const std::vector<at::Tensor>& states);

 private:
  at::Tensor cpu_;
  std::vector<at::Tensor> cuda_;  ///< by device index
};

/// Saves the default generators' states when made and puts them back when destroyed.
class GeneratorKeeper {
 public:
  GeneratorKeeper() : saved_(GeneratorStates::capture()) {}
  ~GeneratorKeeper() { saved_.restore(); }
  GeneratorKeeper(const GeneratorKeeper&) = delete;
  GeneratorKeeper& operator=(const GeneratorKeeper&) = delete;

 private:
  GeneratorStates saved_;
};

}  // namespace depthguard
