#pragma once
// The TensorBoard Event messages depthguard writes, encoded (the field numbers of
// TensorBoard's event.proto and summary.proto): the file-version header, a scalar, a
// Markdown text, a PNG image.
#include <cstdint>
#include <string>
#include <string_view>

namespace depthguard {

/// The first event of every file: names the format ("brain.Event:2").
std::string file_version_event(double wall_time);

/// A SessionLog START at `step`: a training session (re)starts there, and TensorBoard
/// drops the points of an earlier session logged after it (a killed run's steps after its
/// last checkpoint).
std::string session_start_event(double wall_time, int64_t step);

/// A scalar summary (simple_value, a float32: doubles beyond its range become +-inf,
/// which TensorBoard shows as such; NaN stays NaN).
std::string scalar_event(double wall_time, int64_t step, std::string_view tag, float value);

/// A text summary for TensorBoard's Text tab: a string tensor of shape [1] under the
/// "text" plugin; the text is rendered as Markdown.
std::string text_event(double wall_time, int64_t step, std::string_view tag, std::string_view markdown);

/// An image summary: `png` is the encoded image, of the given size and channel count
/// (1 grey, 3 RGB, 4 RGBA).
std::string image_event(double wall_time, int64_t step, std::string_view tag, int height, int width, int channels,
                        std::string_view png);

}  // namespace depthguard
