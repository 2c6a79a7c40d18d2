#include "depthguard/guard/generator_keeper.h"

#include <algorithm>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <torch/cuda.h>

namespace depthguard {

namespace {

// A handle on the global generator of CUDA device `index` (through LibTorch's CUDA hooks:
// this library compiles without CUDA headers).
at::Generator cuda_generator(size_t index) {
  return at::globalContext().defaultGenerator(c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index)));
}

}  // namespace

GeneratorStates GeneratorStates::capture() {
  GeneratorStates s;
  s.cpu_ = at::detail::getDefaultCPUGenerator().get_state();
  if (torch::cuda::is_available()) {
    const auto devices = static_cast<size_t>(torch::cuda::device_count());
    for (size_t i = 0; i < devices; ++i) s.cuda_.push_back(cuda_generator(i).get_state());
  }
  return s;
}

void GeneratorStates::restore() const {
  TORCH_CHECK(cpu_.defined(), "GeneratorStates::restore: no states captured (GeneratorStates::capture makes them)");
  at::Generator cpu = at::detail::getDefaultCPUGenerator();
  cpu.set_state(cpu_);
  const auto devices = torch::cuda::is_available() ? static_cast<size_t>(torch::cuda::device_count()) : 0;
  for (size_t i = 0; i < std::min(cuda_.size(), devices); ++i) cuda_generator(i).set_state(cuda_[i]);
}

std::vector<at::Tensor> GeneratorStates::tensors() const {
  std::vector<at::Tensor> out{cpu_};
  out.insert(out.end(), cuda_.begin(), cuda_.end());
  return out;
}

GeneratorStates GeneratorStates::from_tensors(const std::vector<at::Tensor>& states) {
  TORCH_CHECK(!states.empty(), "GeneratorStates::from_tensors: no states (the CPU generator's comes first)");
  GeneratorStates s;
  s.cpu_ = states.front();
  s.cuda_.assign(states.begin() + 1, states.end());
  return s;
}

}  // namespace depthguard
