#pragma once
// Files that are either their old content or complete, never half written, and read and
// write errors (a full disk, an I/O error) that name the file instead of aborting the process.
#include <string>
#include <string_view>

namespace depthguard {

/// Writes `bytes` to `path`: into a temporary file beside it (".NAME.tmp.EXT") with checked
/// write(2) calls, fsync'ed, then renamed over `path` and the directory entry synced. On any
/// failure (ENOSPC, EIO, a missing directory, ...) the temporary file is removed, `path`
/// keeps its old content, and std::runtime_error names `path` and the reason.
void write_file_atomically(const std::string& path, std::string_view bytes);

/// Removes the temporary files that a writer killed mid-write (kill -9, power loss) left in
/// `directory`; returns how many. Only for a directory this process holds (DirectoryLock):
/// another writer's temporary file would go too.
int remove_stale_temporaries(const std::string& directory);

/// The whole content of `path`. Throws std::runtime_error naming `path` (and `what` it is,
/// when given: "the reproducer's report") when it cannot be read.
std::string read_whole_file(const std::string& path, const std::string& what = "");

}  // namespace depthguard
