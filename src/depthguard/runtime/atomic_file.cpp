#include "depthguard/runtime/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace depthguard {

namespace {

void fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) throw std::runtime_error(path + ": cannot open to sync: " + std::strerror(errno));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw std::runtime_error(path + ": fsync failed: " + std::strerror(errno));
}

}  // namespace

void write_atomically(const std::string& path, const std::function<void(const std::string& tmp)>& writer) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path tmp = target.parent_path() /
                       ("." + target.filename().string() + ".tmp" + target.extension().string());
  try {
    writer(tmp.string());
    fsync_path(tmp.string(), O_RDONLY);
    fs::rename(tmp, target);
  } catch (...) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw;
  }
  // The rename itself is durable only once the directory entry is.
  fsync_path(target.parent_path().empty() ? "." : target.parent_path().string(), O_RDONLY | O_DIRECTORY);
}

void write_text_atomically(const std::string& path, const std::string& text) {
  write_atomically(path, [&](const std::string& tmp) {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    if (!out.flush()) throw std::runtime_error(tmp + ": write failed");
  });
}

}  // namespace depthguard
