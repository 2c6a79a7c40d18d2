#pragma once
// One writer per directory: a run directory (or a study directory) is held by one process
// at a time, so two runs given the same --out cannot mix their files.
#include <string>

namespace depthguard {

/// Holds an exclusive flock(2) on DIR/.lock while alive. The kernel drops the lock when the
/// process ends, however it ends (kill -9 included), so a killed writer never leaves a lock
/// that blocks the next one; the file itself stays and holds the last holder's pid.
class DirectoryLock {
 public:
  /// Creates `directory` if needed and locks it. Throws std::runtime_error naming the
  /// directory and the pid of the process that holds it, or the reason it cannot lock.
  explicit DirectoryLock(const std::string& directory);
  ~DirectoryLock();
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace depthguard
