#include "depthguard/guard/generator_keeper.h"

#include <mutex>

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

// The CUDA devices this process sees; CUDA fixes them at its initialization, so asking once
// saves a trip through the CUDA hooks at every capture.
size_t cuda_devices() {
  static const size_t devices = torch::cuda::is_available() ? static_cast<size_t>(torch::cuda::device_count()) : 0;
  return devices;
}

// A copy of `generator`, under its lock, as torch's own get_state takes it.
at::Generator copy_of(at::Generator generator) {
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.clone();
}

// `target` set to the state `source` holds.
void put_back(at::Generator target, at::Generator source) {
  const at::Tensor state = [&] {
    std::lock_guard<std::mutex> lock(source.mutex());
    return source.get_state();
  }();
  std::lock_guard<std::mutex> lock(target.mutex());
  target.set_state(state);
}

}  // namespace

GeneratorStates GeneratorStates::capture() {
  GeneratorStates s;
  s.cpu_ = copy_of(at::detail::getDefaultCPUGenerator());
  for (size_t i = 0; i < cuda_devices(); ++i) s.cuda_.push_back(copy_of(cuda_generator(i)));
  return s;
}

void GeneratorStates::restore() const {
  TORCH_CHECK(cpu_.defined(), "GeneratorStates::restore: no states captured (GeneratorStates::capture makes them)");
  put_back(at::detail::getDefaultCPUGenerator(), cpu_);
  for (size_t i = 0; i < cuda_.size(); ++i) put_back(cuda_generator(i), cuda_[i]);
}

}  // namespace depthguard
