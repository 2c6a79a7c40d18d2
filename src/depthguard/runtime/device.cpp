#include "depthguard/runtime/device.h"

#include <regex>

#include <fmt/format.h>
#include <torch/cuda.h>

#include "depthguard/core/errors.h"

namespace depthguard {

namespace {

const std::regex& cuda_pattern() {
  static const std::regex pattern(R"(cuda(:([0-9]{1,4}))?)");
  return pattern;
}

int64_t gpu_count() { return torch::cuda::is_available() ? static_cast<int64_t>(torch::cuda::device_count()) : 0; }

}  // namespace

bool is_device_name(const std::string& name) {
  return name == "auto" || name == "cpu" || std::regex_match(name, cuda_pattern());
}

c10::Device resolve_device(const std::string& name) {
  if (name == "cpu") return c10::Device(c10::kCPU);
  const int64_t gpus = gpu_count();
  if (name == "auto") return gpus > 0 ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  std::smatch match;
  if (!std::regex_match(name, match, cuda_pattern())) {
    throw InvalidArgument(fmt::format("'{}' is not a device (auto, cpu, cuda or cuda:N)", name));
  }
  if (gpus == 0) {
    throw InvalidArgument(fmt::format("'{}': no GPU is usable here (LibTorch built without CUDA, or no GPU visible); "
                                      "use cpu or auto",
                                      name));
  }
  const int64_t index = match[2].matched ? std::stoll(match[2].str()) : 0;
  if (index >= gpus) throw InvalidArgument(fmt::format("'{}': this machine has {} GPU(s), cuda:0 to cuda:{}", name, gpus, gpus - 1));
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
}

std::string describe_device(const c10::Device& device) {
  if (!device.is_cuda()) return device.str();
  return fmt::format("{} ({} of {} GPUs)", device.str(), device.index() + 1, gpu_count());
}

}  // namespace depthguard
