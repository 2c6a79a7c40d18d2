#include "depthguard/runlog/proto_message.h"

#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

namespace depthguard {
namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

// The wire format's edges (protobuf.dev, "Encoding"): one-byte and two-byte varints at
// 127/128, the largest 64-bit varint (ten bytes), a field number that needs a two-byte tag.
TEST(ProtoMessage, VarintsAtTheirByteBoundaries) {
  EXPECT_EQ(ProtoMessage().add_varint(1, 0).bytes(), bytes({0x08, 0x00}));
  EXPECT_EQ(ProtoMessage().add_varint(1, 127).bytes(), bytes({0x08, 0x7F}));
  EXPECT_EQ(ProtoMessage().add_varint(1, 128).bytes(), bytes({0x08, 0x80, 0x01}));
  EXPECT_EQ(ProtoMessage().add_varint(1, 300).bytes(), bytes({0x08, 0xAC, 0x02}));
  EXPECT_EQ(ProtoMessage().add_varint(1, std::numeric_limits<uint64_t>::max()).bytes(),
            bytes({0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}));
  EXPECT_EQ(ProtoMessage().add_varint(16, 1).bytes(), bytes({0x80, 0x01, 0x01}));
}

TEST(ProtoMessage, FixedFieldsAreLittleEndianIeeeBits) {
  EXPECT_EQ(ProtoMessage().add_double(1, 1.5).bytes(), bytes({0x09, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F}));
  EXPECT_EQ(ProtoMessage().add_float(2, 0.125f).bytes(), bytes({0x15, 0, 0, 0, 0x3E}));
  const auto nan = ProtoMessage().add_float(2, std::numeric_limits<float>::quiet_NaN()).bytes();
  EXPECT_EQ(nan, bytes({0x15, 0, 0, 0xC0, 0x7F}));
}

TEST(ProtoMessage, LengthDelimitedEmptyLongAndNested) {
  EXPECT_EQ(ProtoMessage().add_bytes(1, "").bytes(), bytes({0x0A, 0x00}));
  const std::string long_text(200, 'x');
  const auto encoded = ProtoMessage().add_bytes(1, long_text).bytes();
  EXPECT_EQ(encoded.substr(0, 3), bytes({0x0A, 0xC8, 0x01}));
  EXPECT_EQ(encoded.substr(3), long_text);
  ProtoMessage inner;
  inner.add_varint(1, 5);
  EXPECT_EQ(ProtoMessage().add_message(5, inner).bytes(), bytes({0x2A, 0x02, 0x08, 0x05}));
}

}  // namespace
}  // namespace depthguard
