#pragma once
// The tests' reader of TensorBoard event files: checks each record's framing and masked
// CRCs and decodes the Event fields depthguard writes (an independent decoder on
// protobuf's CodedInputStream, not the writer's code run backwards).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
#include <gtest/gtest.h>

#include "depthguard/runlog/crc32c.h"
#include "test_support.h"

namespace depthguard::testing {

struct ReadValue {
  std::string tag;
  std::optional<float> scalar;
  std::optional<std::string> text;   ///< the string tensor of a text summary
  std::string plugin;                ///< the plugin named by the metadata ("text")
  int image_height = 0, image_width = 0, image_channels = 0;
  std::string image_png;
};

struct ReadEvent {
  double wall_time = 0;
  int64_t step = 0;
  std::string file_version;
  std::vector<ReadValue> values;
};

namespace detail {

using google::protobuf::io::CodedInputStream;

inline uint32_t le32(const std::string& s, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[at + i]);
  return v;
}

inline uint64_t le64(const std::string& s, size_t at) {
  return (static_cast<uint64_t>(le32(s, at + 4)) << 32) | le32(s, at);
}

// Calls `on_field(number, wire_type, stream)` for each field; the callback reads the value
// or returns false to have it skipped.
template <class OnField>
void for_each_field(const std::string& bytes, OnField on_field) {
  CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()), static_cast<int>(bytes.size()));
  while (const uint32_t tag = in.ReadTag()) {
    const int field = static_cast<int>(tag >> 3), type = static_cast<int>(tag & 7);
    if (!on_field(field, type, in)) {
      ASSERT_TRUE(google::protobuf::internal::WireFormatLite::SkipField(&in, tag));
    }
  }
}

inline std::string read_bytes(CodedInputStream& in) {
  uint32_t size = 0;
  std::string s;
  EXPECT_TRUE(in.ReadVarint32(&size));
  EXPECT_TRUE(in.ReadString(&s, static_cast<int>(size)));
  return s;
}

inline ReadValue read_value(const std::string& bytes) {
  ReadValue v;
  for_each_field(bytes, [&](int field, int, CodedInputStream& in) {
    uint32_t bits = 0;
    uint64_t n = 0;
    switch (field) {
      case 1: v.tag = read_bytes(in); return true;
      case 2: in.ReadLittleEndian32(&bits); v.scalar = 0; std::memcpy(&*v.scalar, &bits, 4); return true;
      case 4:
        for_each_field(read_bytes(in), [&](int f, int, CodedInputStream& image) {
          if (f == 4) { v.image_png = read_bytes(image); return true; }
          image.ReadVarint64(&n);
          (f == 1 ? v.image_height : f == 2 ? v.image_width : v.image_channels) = static_cast<int>(n);
          return true;
        });
        return true;
      case 8:
        for_each_field(read_bytes(in), [&](int f, int, CodedInputStream& tensor) {
          if (f != 8) return false;
          v.text = read_bytes(tensor);
          return true;
        });
        return true;
      case 9:
        for_each_field(read_bytes(in), [&](int f, int, CodedInputStream& metadata) {
          if (f != 1) return false;
          for_each_field(read_bytes(metadata), [&](int g, int, CodedInputStream& plugin) {
            if (g != 1) return false;
            v.plugin = read_bytes(plugin);
            return true;
          });
          return true;
        });
        return true;
      default: return false;
    }
  });
  return v;
}

inline ReadEvent read_event(const std::string& bytes) {
  ReadEvent e;
  for_each_field(bytes, [&](int field, int, CodedInputStream& in) {
    uint64_t bits = 0;
    switch (field) {
      case 1: in.ReadLittleEndian64(&bits); std::memcpy(&e.wall_time, &bits, 8); return true;
      case 2: in.ReadVarint64(&bits); e.step = static_cast<int64_t>(bits); return true;
      case 3: e.file_version = read_bytes(in); return true;
      case 5:
        for_each_field(read_bytes(in), [&](int f, int, CodedInputStream& summary) {
          if (f != 1) return false;
          e.values.push_back(read_value(read_bytes(summary)));
          return true;
        });
        return true;
      default: return false;
    }
  });
  return e;
}

}  // namespace detail

/// The records of a record file, each checked (length CRC, data CRC); a test fails on the
/// first bad one.
inline std::vector<std::string> read_records(const std::filesystem::path& path) {
  const std::string file = file_content(path);
  std::vector<std::string> records;
  size_t at = 0;
  while (at < file.size()) {
    EXPECT_LE(at + 12, file.size()) << path << ": a truncated record header at byte " << at;
    if (at + 12 > file.size()) break;
    const uint64_t size = detail::le64(file, at);
    EXPECT_EQ(detail::le32(file, at + 8), masked_crc32c(file.substr(at, 8))) << "length CRC at byte " << at;
    EXPECT_LE(at + 16 + size, file.size()) << path << ": a truncated record at byte " << at;
    if (at + 16 + size > file.size()) break;
    records.push_back(file.substr(at + 12, size));
    EXPECT_EQ(detail::le32(file, at + 12 + size), masked_crc32c(records.back())) << "data CRC at byte " << at;
    at += 16 + size;
  }
  return records;
}

/// Every event in the event files of `directory`, file by file in name order.
inline std::vector<ReadEvent> read_events(const std::filesystem::path& directory) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    if (entry.path().filename().string().find("tfevents") != std::string::npos) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<ReadEvent> events;
  for (const auto& f : files) {
    for (const auto& record : read_records(f)) events.push_back(detail::read_event(record));
  }
  return events;
}

/// The (step, value) points of scalar `tag` in `events`.
inline std::vector<std::pair<int64_t, float>> scalar_points(const std::vector<ReadEvent>& events, const std::string& tag) {
  std::vector<std::pair<int64_t, float>> points;
  for (const auto& e : events) {
    for (const auto& v : e.values) {
      if (v.tag == tag && v.scalar) points.emplace_back(e.step, *v.scalar);
    }
  }
  return points;
}

}  // namespace depthguard::testing
