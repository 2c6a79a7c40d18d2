#pragma once
// LibTorch archives on disk with a checksum that is checked before LibTorch reads a byte.
// LibTorch's zip reader does not verify the CRCs its writer records, so a flipped bit in a
// checkpoint's weights loads silently as another number, and a damaged archive can crash
// its TorchScript reader (the fuzz tests found a SEGV in ScriptTypeParser). A sealed file is
// the archive's bytes followed by a 20-byte trailer: "DGSEAL01", the archive's length (8
// bytes) and its CRC-32 (4 bytes), little-endian.
#include <string>

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

namespace depthguard {

/// `archive` serialised, followed by the seal: the bytes of a file.
std::string sealed_bytes(torch::serialize::OutputArchive& archive);

/// Loads into `archive`, every tensor on the CPU, the file at `path` that sealed_bytes
/// wrote, or an unsealed archive from before depthguard sealed its files (one that ends with
/// a zip directory; it is read unchecked). Throws std::runtime_error (without naming `path`:
/// the caller knows what the file should be) when the file is neither, its length or
/// checksum does not match (damaged or cut short), or LibTorch cannot read the archive.
void load_sealed(const std::string& path, torch::serialize::InputArchive& archive);

}  // namespace depthguard
