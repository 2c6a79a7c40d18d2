#include "depthguard/runtime/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace depthguard {

namespace fs = std::filesystem;

namespace {

constexpr const char* kTemporaryMark = ".tmp";

fs::path temporary_for(const fs::path& target) {
  std::string name = ".";
  name.append(target.filename().string()).append(kTemporaryMark).append(target.extension().string());
  return target.parent_path() / name;
}

[[noreturn]] void fail(const std::string& path, const std::string& what, int error) {
  throw std::runtime_error(path + ": " + what + " (" + std::strerror(error) + ")");
}

// Writes all of `bytes` to a new file at `tmp`, durably; throws naming `path`.
void write_durably(const std::string& tmp, std::string_view bytes, const std::string& path) {
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(path, "cannot create a temporary file to write it", errno);
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : EIO;
      ::close(fd);
      fail(path, "cannot write", error);
    }
    written += static_cast<size_t>(n);
  }
  // Delayed allocation can report a full disk only here.
  if (::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    fail(path, "cannot write", error);
  }
  if (::close(fd) != 0) fail(path, "cannot write", errno);
}

void sync_directory(const fs::path& directory) {
  const auto name = directory.empty() ? std::string(".") : directory.string();
  const int fd = ::open(name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail(name, "cannot open to sync", errno);
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0) fail(name, "cannot sync", error);
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view bytes) {
  const fs::path target(path);
  const auto tmp = temporary_for(target);
  try {
    write_durably(tmp.string(), bytes, path);
    std::error_code error;
    fs::rename(tmp, target, error);
    if (error) fail(path, "cannot replace it", error.value());
  } catch (...) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw;
  }
  // The rename itself is durable only once the directory entry is.
  sync_directory(target.parent_path());
}

int remove_stale_temporaries(const std::string& directory) {
  int removed = 0;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(directory, error)) {
    const auto name = entry.path().filename().string();
    const bool temporary = name.size() > 1 && name[0] == '.' && name.find(kTemporaryMark) != std::string::npos &&
                           entry.is_regular_file();
    if (temporary && fs::remove(entry.path(), error)) ++removed;
  }
  return removed;
}

std::string read_whole_file(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot be read" + (what.empty() ? "" : " (" + what + ")"));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace depthguard
