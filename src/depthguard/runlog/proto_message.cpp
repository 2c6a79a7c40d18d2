#include "depthguard/runlog/proto_message.h"

#include <cstring>

namespace depthguard {

namespace {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

void append_varint(std::string& bytes, uint64_t value) {
  while (value >= 0x80) {
    bytes.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  bytes.push_back(static_cast<char>(value));
}

// The low `width` bytes of `value`, least significant first.
void append_little_endian(std::string& bytes, uint64_t value, int width) {
  for (int i = 0; i < width; ++i) bytes.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

void append_tag(std::string& bytes, int field, WireType type) {
  append_varint(bytes, (static_cast<uint64_t>(field) << 3) | type);
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
  append_tag(bytes_, field, kFixed64);
  append_little_endian(bytes_, bits_of<uint64_t>(value), 8);
  return *this;
}

ProtoMessage& ProtoMessage::add_float(int field, float value) {
  append_tag(bytes_, field, kFixed32);
  append_little_endian(bytes_, bits_of<uint32_t>(value), 4);
  return *this;
}

ProtoMessage& ProtoMessage::add_varint(int field, uint64_t value) {
  append_tag(bytes_, field, kVarint);
  append_varint(bytes_, value);
  return *this;
}

ProtoMessage& ProtoMessage::add_bytes(int field, std::string_view value) {
  append_tag(bytes_, field, kLengthDelimited);
  append_varint(bytes_, value.size());
  bytes_.append(value);
  return *this;
}

ProtoMessage& ProtoMessage::add_message(int field, const ProtoMessage& value) { return add_bytes(field, value.bytes()); }

}  // namespace depthguard
