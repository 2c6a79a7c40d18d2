#include "depthguard/report/tensorboard/proto_message.h"

#include <cstring>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

namespace depthguard {

namespace {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// Appends a tag and whatever `write` puts after it to `bytes`.
template <typename Write>
void append_field(std::string& bytes, int field, WireType type, Write write) {
  google::protobuf::io::StringOutputStream sink(&bytes);
  google::protobuf::io::CodedOutputStream out(&sink);
  out.WriteTag((static_cast<uint32_t>(field) << 3) | type);
  write(out);
}

// The IEEE bits of a float or double: what fixed32 and fixed64 fields hold.
template <typename Bits, typename Value>
Bits bits_of(Value value) {
  static_assert(sizeof(Bits) == sizeof(Value));
  Bits bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

}  // namespace

ProtoMessage& ProtoMessage::add_double(int field, double value) {
  append_field(bytes_, field, kFixed64, [&](auto& out) { out.WriteLittleEndian64(bits_of<uint64_t>(value)); });
  return *this;
}

ProtoMessage& ProtoMessage::add_float(int field, float value) {
  append_field(bytes_, field, kFixed32, [&](auto& out) { out.WriteLittleEndian32(bits_of<uint32_t>(value)); });
  return *this;
}

ProtoMessage& ProtoMessage::add_varint(int field, uint64_t value) {
  append_field(bytes_, field, kVarint, [&](auto& out) { out.WriteVarint64(value); });
  return *this;
}

ProtoMessage& ProtoMessage::add_bytes(int field, std::string_view value) {
  append_field(bytes_, field, kLengthDelimited, [&](auto& out) {
    out.WriteVarint32(static_cast<uint32_t>(value.size()));
    out.WriteRaw(value.data(), static_cast<int>(value.size()));
  });
  return *this;
}

ProtoMessage& ProtoMessage::add_message(int field, const ProtoMessage& value) { return add_bytes(field, value.bytes()); }

}  // namespace depthguard
