#pragma once
#include <functional>
#include <string>

namespace depthguard {

/// Writes `path` so that it is either absent/its old content or complete, never half
/// written: `writer` fills a temporary file beside it (same extension, so format-by-
/// extension writers work), which is fsync'ed and renamed over `path`. A writer that
/// throws leaves no temporary file behind. Throws std::runtime_error naming the path.
void write_atomically(const std::string& path, const std::function<void(const std::string& tmp)>& writer);

/// write_atomically for a whole text.
void write_text_atomically(const std::string& path, const std::string& text);

}  // namespace depthguard
