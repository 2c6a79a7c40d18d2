#pragma once
// LibTorch archives on disk with a checksum. LibTorch's zip reader does not verify the
// CRCs its writer records, so a flipped bit in a checkpoint's weights loads silently as a
// different number. A sealed archive holds the archive's bytes and their CRC-32, checked
// before anything is read.
#include <string>

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>
#include <torch/types.h>

namespace depthguard {

/// `archive` serialised, wrapped with the CRC-32 of those bytes, as the bytes of a file.
std::string sealed_bytes(torch::serialize::OutputArchive& archive);

/// Loads into `archive` the file at `path` that sealed_bytes wrote, or a plain archive
/// written before depthguard sealed its files (it has none of the seal's records). Every
/// tensor loads on the CPU, wherever it was saved.
/// Throws (std::runtime_error or c10::Error, without naming `path`: the caller knows what
/// the file should be) when the file is no archive or its content does not match its
/// checksum.
void load_sealed(const std::string& path, torch::serialize::InputArchive& archive);

/// Raw bytes as a uint8 tensor (a copy) and back: LibTorch's archive strings are for text.
torch::Tensor bytes_tensor(const std::string& bytes);
std::string tensor_bytes(const torch::Tensor& tensor);

}  // namespace depthguard
