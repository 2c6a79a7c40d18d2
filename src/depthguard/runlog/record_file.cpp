#include "depthguard/runlog/record_file.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "depthguard/runlog/crc32c.h"

namespace depthguard {

namespace {

void append_le(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

std::FILE* create_exclusively(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "wbx");
  if (!f) throw std::runtime_error(path + ": cannot create the event file: " + std::strerror(errno));
  return f;
}

}  // namespace

std::string frame_record(std::string_view data) {
  std::string record;
  record.reserve(data.size() + 16);
  append_le(record, data.size(), 8);
  append_le(record, masked_crc32c(record), 4);
  record.append(data);
  append_le(record, masked_crc32c(data), 4);
  return record;
}

RecordFile::RecordFile(std::string path) : path_(std::move(path)), file_(create_exclusively(path_), &std::fclose) {}

void RecordFile::write(std::string_view data) {
  const std::string record = frame_record(data);
  if (std::fwrite(record.data(), 1, record.size(), file_.get()) != record.size() || std::fflush(file_.get()) != 0) {
    throw std::runtime_error(path_ + ": cannot write the event file: " + std::strerror(errno));
  }
}

}  // namespace depthguard
