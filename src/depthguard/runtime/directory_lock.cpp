#include "depthguard/runtime/directory_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace depthguard {

namespace {

std::string holder_pid(int fd) {
  char buffer[32] = {};
  const ssize_t n = ::pread(fd, buffer, sizeof(buffer) - 1, 0);
  std::string pid(buffer, n > 0 ? static_cast<size_t>(n) : 0);
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid.empty() ? "unknown" : pid;
}

}  // namespace

DirectoryLock::DirectoryLock(const std::string& directory) {
  std::filesystem::create_directories(directory);
  const auto path = (std::filesystem::path(directory) / ".lock").string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error(path + ": cannot open the lock file: " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    const auto pid = holder_pid(fd_);
    ::close(fd_);
    if (error == EWOULDBLOCK) {
      throw std::runtime_error(directory + ": in use by another depthguard process (pid " + pid +
                               "); wait for it to finish or choose another directory");
    }
    throw std::runtime_error(path + ": cannot lock: " + std::strerror(error));
  }
  const auto pid = std::to_string(::getpid()) + "\n";
  // The pid is for the message of a refused second writer; the lock does not depend on it.
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int error = errno;
    ::close(fd_);
    throw std::runtime_error(path + ": cannot write: " + std::strerror(error));
  }
}

DirectoryLock::~DirectoryLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the lock
}

}  // namespace depthguard
