#pragma once
// A protocol-buffer message built field by field in the wire format, for the few messages
// TensorBoard reads (tensorboard_event.h). No generated code is needed for messages this
// small, and the guard tier does not link libprotobuf: the encoding is the protocol's four
// rules (protobuf.dev, "Encoding"): a field's tag is (number << 3 | wire type) as a varint;
// varints are 7 bits a byte, low first, the high bit set on every byte but the last; fixed
// fields are little-endian; length-delimited ones are a varint length and the bytes.
#include <cstdint>
#include <string>
#include <string_view>

namespace depthguard {

class ProtoMessage {
 public:
  ProtoMessage& add_double(int field, double value);  ///< wire type 1 (fixed 64)
  ProtoMessage& add_float(int field, float value);    ///< wire type 5 (fixed 32)
  ProtoMessage& add_varint(int field, uint64_t value);  ///< wire type 0: int32/int64/enum
  ProtoMessage& add_bytes(int field, std::string_view value);  ///< wire type 2: string/bytes
  ProtoMessage& add_message(int field, const ProtoMessage& value);  ///< wire type 2, nested

  /// The encoded message.
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

}  // namespace depthguard
