#include "depthguard/runlog/metrics_log.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "depthguard/runtime/atomic_file.h"

namespace depthguard {

namespace {

// The lines of `path` whose step is at most `step`.
std::string lines_up_to(const std::string& path, int64_t step) {
  std::ifstream in(path);
  std::string kept, line;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.value("step", int64_t{0}) <= step) kept += line + "\n";
  }
  return kept;
}

}  // namespace

MetricsLog::MetricsLog(const std::string& path, int64_t resume_step) : path_(path) {
  if (resume_step >= 0) {
    write_file_atomically(path, lines_up_to(path, resume_step));
  } else {
    std::filesystem::remove(path);
  }
  out_.open(path, std::ios::app);
  if (!out_) throw std::runtime_error(path + ": cannot open for writing");
}

void MetricsLog::append(const nlohmann::json& line) {
  errno = 0;
  out_ << line.dump() << "\n" << std::flush;
  // A torn last line (full disk) is harmless: a resume keeps only the lines that parse.
  if (!out_) throw std::runtime_error(path_ + ": cannot append (" + std::strerror(errno ? errno : EIO) + ")");
}

}  // namespace depthguard
