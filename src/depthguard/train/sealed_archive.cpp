#include "depthguard/train/sealed_archive.h"

#include <sstream>
#include <stdexcept>

#include <zlib.h>

namespace depthguard {

namespace {

constexpr const char* kPayload = "sealed_archive";
constexpr const char* kChecksum = "sealed_crc32";

int64_t crc32_of(const char* data, size_t size) {
  return static_cast<int64_t>(crc32_z(crc32_z(0, Z_NULL, 0), reinterpret_cast<const Bytef*>(data), size));
}

}  // namespace

torch::Tensor bytes_tensor(const std::string& bytes) {
  return torch::from_blob(const_cast<char*>(bytes.data()), {static_cast<int64_t>(bytes.size())}, torch::kUInt8)
      .clone();
}

std::string tensor_bytes(const torch::Tensor& tensor) {
  const auto c = tensor.contiguous();
  return std::string(static_cast<const char*>(c.data_ptr()), static_cast<size_t>(c.numel()));
}

std::string sealed_bytes(torch::serialize::OutputArchive& archive) {
  std::ostringstream inner;
  archive.save_to(inner);
  const auto payload = inner.str();
  torch::serialize::OutputArchive seal;
  // from_blob without a copy: `payload` outlives the save below.
  seal.write(kPayload, torch::from_blob(const_cast<char*>(payload.data()),
                                        {static_cast<int64_t>(payload.size())}, torch::kUInt8));
  seal.write(kChecksum, torch::tensor(crc32_of(payload.data(), payload.size()), torch::kInt64));
  std::ostringstream out;
  seal.save_to(out);
  return out.str();
}

void load_sealed(const std::string& path, torch::serialize::InputArchive& archive) {
  torch::serialize::InputArchive seal;
  seal.load_from(path, torch::kCPU);
  torch::Tensor payload, checksum;
  if (!seal.try_read(kPayload, payload)) {
    archive.load_from(path, torch::kCPU);  // written before files were sealed
    return;
  }
  seal.read(kChecksum, checksum);
  TORCH_CHECK(payload.scalar_type() == torch::kUInt8 && payload.dim() == 1 && payload.is_contiguous(),
              "the sealed payload is not a byte array");
  const auto* data = static_cast<const char*>(payload.data_ptr());
  const auto size = static_cast<size_t>(payload.numel());
  if (crc32_of(data, size) != checksum.item<int64_t>()) {
    throw std::runtime_error("its content does not match its checksum (the file is damaged)");
  }
  archive.load_from(data, size, torch::kCPU);
}

}  // namespace depthguard
