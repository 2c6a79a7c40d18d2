#pragma once
// A TensorFlow record file, the container of TensorBoard's event files: each record is its
// length (uint64, little-endian), the masked CRC-32C of those 8 bytes, the data, and the
// masked CRC-32C of the data. Records are flushed as they are written, so TensorBoard
// reads a run while it trains and a killed run keeps every whole record.
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

namespace depthguard {

/// The framing of one record (what RecordFile::write appends).
std::string frame_record(std::string_view data);

class RecordFile {
 public:
  /// Creates `path` (failing if it exists: a record file is never overwritten). Throws
  /// std::runtime_error naming the path when it cannot be created.
  explicit RecordFile(std::string path);

  /// Appends one record and flushes it. Throws std::runtime_error naming the path when
  /// the write fails (a full disk); a partial record at the end is what a reader skips.
  void write(std::string_view data);

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file_;
};

}  // namespace depthguard
