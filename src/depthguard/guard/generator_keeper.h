#pragma once
// Keeps LibTorch's default CPU generator as it was: a replay that loads a saved state, or
// runs random operators again, must not change the random stream of the run around it.
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/Tensor.h>

namespace depthguard {

/// Saves the default CPU generator's state when made and puts it back when destroyed.
class GeneratorKeeper {
 public:
  GeneratorKeeper() : saved_state_(at::detail::getDefaultCPUGenerator().get_state()) {}
  ~GeneratorKeeper() {
    at::Generator cpu = at::detail::getDefaultCPUGenerator();  // a handle on the global one
    cpu.set_state(saved_state_);
  }
  GeneratorKeeper(const GeneratorKeeper&) = delete;
  GeneratorKeeper& operator=(const GeneratorKeeper&) = delete;

 private:
  at::Tensor saved_state_;
};

}  // namespace depthguard
