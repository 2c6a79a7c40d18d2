#pragma once
// Where tensors live: the device names a user writes (train.device, --device) and what
// they resolve to on this machine.
#include <string>

#include <c10/core/Device.h>

namespace depthguard {

/// Whether `name` is one of "auto", "cpu", "cuda", "cuda:N" (N a non-negative integer).
bool is_device_name(const std::string& name);

/// The device `name` means here: "auto" is the first GPU when LibTorch has CUDA and sees a
/// GPU, else the CPU; "cuda" is cuda:0. Throws InvalidArgument with the reason (without the
/// option's name, which the caller adds) when `name` is not a device name or names a GPU
/// this process cannot use: LibTorch built without CUDA, no GPU visible, N beyond the count.
c10::Device resolve_device(const std::string& name);

/// "cpu", or "cuda:0 (1 of 2 GPUs)", for the log.
std::string describe_device(const c10::Device& device);

}  // namespace depthguard
