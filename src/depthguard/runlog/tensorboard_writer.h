#pragma once
// What a run shows in TensorBoard: scalars, Markdown texts and images, written as event
// files into one directory (a run's RUN/tb/). TensorBoard opens the directory while the
// run trains; each writer (each training session) adds a file of its own.
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "depthguard/runlog/record_file.h"

namespace depthguard {

class TensorBoardWriter {
 public:
  /// Creates `directory` if needed and a new event file in it,
  /// events.out.tfevents.<unix time>.<host>.<pid>.<n>, starting with the file-version
  /// event. Throws std::runtime_error naming the path when it cannot.
  explicit TensorBoardWriter(const std::string& directory);

  /// A training session starts (or resumes) at `step` (tensorboard_event.h).
  void add_session_start(int64_t step);
  /// A point of the curve `tag` (TensorBoard groups tags by their prefix before '/').
  void add_scalar(const std::string& tag, double value, int64_t step);
  /// Markdown shown in the Text tab.
  void add_text(const std::string& tag, const std::string& markdown, int64_t step);
  /// A picture already encoded as PNG, `height` x `width` with `channels` (3: RGB), shown
  /// in the Images tab (report/tensorboard_image.h encodes an OpenCV picture).
  void add_png(const std::string& tag, std::string_view png, int height, int width, int channels, int64_t step);

  const std::string& path() const { return file_.path(); }

 private:
  RecordFile file_;
};

}  // namespace depthguard
