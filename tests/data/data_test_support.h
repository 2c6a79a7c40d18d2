#pragma once
// Helpers of the data tests: temporary directories and small synthetic samples.
#include <filesystem>
#include <string>

#include <opencv2/core.hpp>

#include "depthguard/data/synth/synthetic_scenes.h"

namespace depthguard::testing {

/// A fresh, empty directory under the system temp dir, removed at scope exit.
class TempDir {
 public:
  explicit TempDir(const std::string& name) : path_(std::filesystem::temp_directory_path() / ("depthguard_" + name)) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string str() const { return path_.string(); }
  std::filesystem::path operator/(const std::string& p) const { return path_ / p; }

 private:
  std::filesystem::path path_;
};

inline SynthOptions small_scenes() { return SynthOptions().height(48).width(64); }

inline bool same(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

}  // namespace depthguard::testing
