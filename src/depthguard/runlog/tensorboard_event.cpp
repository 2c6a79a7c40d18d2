#include "depthguard/runlog/tensorboard_event.h"

#include "depthguard/runlog/proto_message.h"

namespace depthguard {

namespace {

// Field numbers of the messages (TensorBoard's event.proto, summary.proto, tensor.proto).
namespace event {
constexpr int kWallTime = 1, kStep = 2, kFileVersion = 3, kSummary = 5, kSessionLog = 6;
}
namespace session_log {
constexpr int kStatus = 1;
constexpr int kStart = 1;  // SessionStatus START
}
namespace summary {
constexpr int kValue = 1;
}
namespace value {
constexpr int kTag = 1, kSimpleValue = 2, kImage = 4, kTensor = 8, kMetadata = 9;
}
namespace image {
constexpr int kHeight = 1, kWidth = 2, kColorspace = 3, kEncoded = 4;
}
namespace metadata {
constexpr int kPluginData = 1;
}
namespace plugin_data {
constexpr int kPluginName = 1;
}
namespace tensor {
constexpr int kDtype = 1, kShape = 2, kStringVal = 8;
constexpr int kDtypeString = 7;  // DataType DT_STRING
}
namespace shape {
constexpr int kDim = 2, kDimSize = 1;
}

ProtoMessage event_header(double wall_time, int64_t step) {
  return ProtoMessage().add_double(event::kWallTime, wall_time).add_varint(event::kStep, static_cast<uint64_t>(step));
}

std::string summary_event(double wall_time, int64_t step, const ProtoMessage& summary_value) {
  return event_header(wall_time, step)
      .add_message(event::kSummary, ProtoMessage().add_message(summary::kValue, summary_value))
      .bytes();
}

}  // namespace

std::string file_version_event(double wall_time) {
  return ProtoMessage().add_double(event::kWallTime, wall_time).add_bytes(event::kFileVersion, "brain.Event:2").bytes();
}

std::string session_start_event(double wall_time, int64_t step) {
  return event_header(wall_time, step)
      .add_message(event::kSessionLog, ProtoMessage().add_varint(session_log::kStatus, session_log::kStart))
      .bytes();
}

std::string scalar_event(double wall_time, int64_t step, std::string_view tag, float value) {
  return summary_event(wall_time, step, ProtoMessage().add_bytes(value::kTag, tag).add_float(value::kSimpleValue, value));
}

std::string text_event(double wall_time, int64_t step, std::string_view tag, std::string_view markdown) {
  const auto plugin = ProtoMessage().add_message(metadata::kPluginData,
                                                 ProtoMessage().add_bytes(plugin_data::kPluginName, "text"));
  const auto one_string = ProtoMessage()
                              .add_varint(tensor::kDtype, tensor::kDtypeString)
                              .add_message(tensor::kShape, ProtoMessage().add_message(
                                                               shape::kDim, ProtoMessage().add_varint(shape::kDimSize, 1)))
                              .add_bytes(tensor::kStringVal, markdown);
  return summary_event(wall_time, step,
                       ProtoMessage()
                           .add_bytes(value::kTag, tag)
                           .add_message(value::kMetadata, plugin)
                           .add_message(value::kTensor, one_string));
}

std::string image_event(double wall_time, int64_t step, std::string_view tag, int height, int width, int channels,
                        std::string_view png) {
  const auto picture = ProtoMessage()
                           .add_varint(image::kHeight, static_cast<uint64_t>(height))
                           .add_varint(image::kWidth, static_cast<uint64_t>(width))
                           .add_varint(image::kColorspace, static_cast<uint64_t>(channels))
                           .add_bytes(image::kEncoded, png);
  return summary_event(wall_time, step, ProtoMessage().add_bytes(value::kTag, tag).add_message(value::kImage, picture));
}

}  // namespace depthguard
