#include "depthguard/runlog/tensorboard_writer.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

#include "depthguard/runlog/tensorboard_event.h"

namespace depthguard {

namespace {

double wall_time() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string host_name() {
  char name[256] = {};
  return gethostname(name, sizeof name - 1) == 0 && name[0] ? std::string(name) : std::string("localhost");
}

// TensorBoard reads every file whose name holds "tfevents"; the time, host, process and a
// counter keep two writers (two sessions, two processes) from ever sharing a file.
std::string new_event_file(const std::string& directory) {
  static std::atomic<int> counter{0};
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) throw std::runtime_error(directory + ": cannot create the TensorBoard directory: " + error.message());
  const auto seconds = static_cast<int64_t>(wall_time());
  return (std::filesystem::path(directory) /
          fmt::format("events.out.tfevents.{}.{}.{}.{}", seconds, host_name(), getpid(), counter++))
      .string();
}

}  // namespace

TensorBoardWriter::TensorBoardWriter(const std::string& directory) : file_(new_event_file(directory)) {
  file_.write(file_version_event(wall_time()));
}

void TensorBoardWriter::add_session_start(int64_t step) { file_.write(session_start_event(wall_time(), step)); }

void TensorBoardWriter::add_scalar(const std::string& tag, double value, int64_t step) {
  file_.write(scalar_event(wall_time(), step, tag, static_cast<float>(value)));
}

void TensorBoardWriter::add_text(const std::string& tag, const std::string& markdown, int64_t step) {
  file_.write(text_event(wall_time(), step, tag, markdown));
}

void TensorBoardWriter::add_png(const std::string& tag, std::string_view png, int height, int width, int channels,
                                int64_t step) {
  file_.write(image_event(wall_time(), step, tag, height, width, channels, png));
}

}  // namespace depthguard
