#pragma once
// A run's metrics.jsonl: one JSON object per line (logged steps, evaluations, non-finite
// events), appended and flushed line by line so a killed run keeps what it logged.
#include <cstdint>
#include <fstream>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace depthguard {

class MetricsLog {
 public:
  /// Opens `path` for appending. A fresh run (`resume_step` < 0) starts an empty log; a
  /// resumed run keeps the lines up to `resume_step` and drops those a killed run wrote
  /// after its checkpoint. Throws std::runtime_error naming the path when it cannot write.
  MetricsLog(const std::string& path, int64_t resume_step);

  void append(const nlohmann::json& line);

 private:
  std::string path_;
  std::ofstream out_;
};

}  // namespace depthguard
