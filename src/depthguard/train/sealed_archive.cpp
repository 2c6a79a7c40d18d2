#include "depthguard/train/sealed_archive.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

#include <zlib.h>

namespace depthguard {

namespace {

constexpr char kMagic[] = "DGSEAL01";
constexpr size_t kMagicSize = sizeof kMagic - 1;
constexpr size_t kTrailerSize = kMagicSize + 8 + 4;

uint32_t crc32_of(const char* data, size_t size) {
  return static_cast<uint32_t>(crc32_z(crc32_z(0, Z_NULL, 0), reinterpret_cast<const Bytef*>(data), size));
}

void put_le(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

uint64_t get_le(const char* in, int bytes) {
  uint64_t value = 0;
  for (int i = bytes - 1; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(in[i]);
  return value;
}

// A zip file ends with its end-of-central-directory record (22 bytes without a comment),
// as LibTorch's writer leaves it.
bool ends_with_zip_directory(const std::string& bytes) {
  return bytes.size() >= 22 && std::memcmp(bytes.data() + bytes.size() - 22, "PK\x05\x06", 4) == 0;
}

std::string file_content(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open it");
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

}  // namespace

std::string sealed_bytes(torch::serialize::OutputArchive& archive) {
  std::ostringstream out;
  archive.save_to(out);
  std::string bytes = out.str();
  const auto size = bytes.size();
  const auto crc = crc32_of(bytes.data(), size);
  bytes.append(kMagic, kMagicSize);
  put_le(bytes, size, 8);
  put_le(bytes, crc, 4);
  return bytes;
}

void load_sealed(const std::string& path, torch::serialize::InputArchive& archive) {
  const auto bytes = file_content(path);
  size_t size = bytes.size();
  if (size >= kTrailerSize && std::memcmp(bytes.data() + size - kTrailerSize, kMagic, kMagicSize) == 0) {
    const char* trailer = bytes.data() + size - kTrailerSize + kMagicSize;
    size -= kTrailerSize;
    if (get_le(trailer, 8) != size) throw std::runtime_error("its length does not match its seal (cut short or damaged)");
    if (get_le(trailer + 8, 4) != crc32_of(bytes.data(), size)) {
      throw std::runtime_error("its content does not match its checksum (the file is damaged)");
    }
  } else if (!ends_with_zip_directory(bytes)) {
    throw std::runtime_error("no seal and no archive at its end (damaged, cut short, or another format)");
  }
  archive.load_from(bytes.data(), size, torch::kCPU);
}

}  // namespace depthguard
