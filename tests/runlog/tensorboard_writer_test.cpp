#include "depthguard/runlog/tensorboard_writer.h"
#include "depthguard/report/tensorboard_image.h"

#include <sys/mount.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <filesystem>
#include <limits>
#include <string>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "depthguard/data/image_codec.h"
#include "depthguard/runlog/crc32c.h"
#include "depthguard/runlog/record_file.h"
#include "depthguard/runlog/tensorboard_event.h"
#include "data/data_test_support.h"
#include "runlog/event_reader.h"
#include "test_support.h"

namespace depthguard {
namespace {

namespace fs = std::filesystem;
using testing::error_message;
using testing::read_events;
using testing::read_records;
using testing::TempDir;


// RFC 3720, appendix B.4, and the customary check value.
TEST(Crc32c, MatchesThePublishedTestVectors) {
  EXPECT_EQ(crc32c(""), 0u);
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(crc32c(std::string(32, '\xFF')), 0x62A8AB43u);
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
  EXPECT_EQ(crc32c(ascending), 0x46DD794Eu);
}

TEST(Crc32c, MaskRotatesRightBy15AndAddsTheConstant) {
  // 0xE3069283 rotated right by 15 is 0x2507C60D; plus 0xA282EAD8 (mod 2^32), 0xC78AB0E5.
  EXPECT_EQ(masked_crc32c("123456789"), 0xC78AB0E5u);
  // The empty string: CRC 0, rotated 0, the constant alone.
  EXPECT_EQ(masked_crc32c(""), 0xA282EAD8u);
}

TEST(RecordFile, FramesEachRecordWithItsLengthAndBothChecksums) {
  const std::string data = "abc";
  const std::string record = frame_record(data);
  ASSERT_EQ(record.size(), 8u + 4 + 3 + 4);
  EXPECT_EQ(record.substr(0, 8), std::string("\x03\0\0\0\0\0\0\0", 8));
  EXPECT_EQ(record.substr(12, 3), "abc");
  const auto le32 = [&](size_t at) { return testing::detail::le32(record, at); };
  EXPECT_EQ(le32(8), masked_crc32c(record.substr(0, 8)));
  EXPECT_EQ(le32(15), masked_crc32c("abc"));
  // An empty record: a zero length and the CRCs of 8 zero bytes and of nothing.
  EXPECT_EQ(frame_record("").size(), 16u);
}

TEST(RecordFile, NeverOverwritesAFileAndNamesThePathItCannotCreate) {
  TempDir dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::create_directories(fs::path(dir.str()));
  const auto path = (fs::path(dir.str()) / "events").string();
  { RecordFile f(path); f.write("one"); }
  EXPECT_NE(error_message([&] { RecordFile again(path); }).find(path), std::string::npos);
  const auto missing = (fs::path(dir.str()) / "no" / "such" / "dir" / "events").string();
  EXPECT_NE(error_message([&] { RecordFile f(missing); }).find(missing), std::string::npos);
  ASSERT_EQ(read_records(path).size(), 1u);
  EXPECT_EQ(read_records(path)[0], "one");
}

// A real full disk: a 64 KiB tmpfs (needs root and the right to mount; skipped otherwise).
TEST(RecordFile, AFullDiskIsAnErrorNamingTheFile) {
  TempDir dir("record_full_disk");
  const auto small = dir / "small";
  fs::create_directories(small);
  if (::geteuid() != 0 || ::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=64k") != 0) {
    GTEST_SKIP() << "cannot mount a small tmpfs here";
  }
  const auto path = (small / "events").string();
  std::string message;
  {
    RecordFile f(path);
    const std::string block(16 * 1024, 'x');
    for (int i = 0; i < 16 && message.empty(); ++i) message = error_message([&] { f.write(block); });
  }
  ::umount2(small.c_str(), MNT_DETACH);
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("No space left on device"), std::string::npos) << message;
}

// The events decode as TensorBoard's messages: checked here with the tests' own decoder,
// and with protoc --decode_raw (an independent decoder) where protoc is installed.
TEST(TensorBoardWriter, WritesTheFileVersionThenScalarsTextsAndImages) {
  TempDir dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::string path;
  {
    TensorBoardWriter tb(fs::path(dir.str()).string());
    path = tb.path();
    tb.add_scalar("train/loss", 0.25, 10);
    tb.add_scalar("train/grad_norm", std::numeric_limits<double>::infinity(), 11);
    tb.add_scalar("train/nan", std::numeric_limits<double>::quiet_NaN(), 12);
    tb.add_scalar("train/huge", 1e300, 13);  // beyond float32: +inf
    tb.add_text("nonfinite", "**step 12**: loss", 12);
    cv::Mat picture(4, 6, CV_8UC3, cv::Scalar(10, 20, 30));
    add_image(tb, "samples/0", picture, 20);
  }
  EXPECT_NE(fs::path(path).filename().string().find("events.out.tfevents."), std::string::npos);
  const auto events = read_events(fs::path(dir.str()));
  ASSERT_EQ(events.size(), 7u);
  EXPECT_EQ(events[0].file_version, "brain.Event:2");
  EXPECT_GT(events[0].wall_time, 1.6e9);  // seconds since 1970, not a duration
  EXPECT_EQ(events[1].step, 10);
  ASSERT_EQ(events[1].values.size(), 1u);
  EXPECT_EQ(events[1].values[0].tag, "train/loss");
  EXPECT_EQ(*events[1].values[0].scalar, 0.25f);
  EXPECT_TRUE(std::isinf(*events[2].values[0].scalar));
  EXPECT_TRUE(std::isnan(*events[3].values[0].scalar));
  EXPECT_TRUE(std::isinf(*events[4].values[0].scalar));
  const auto& text = events[5].values.at(0);
  EXPECT_EQ(text.plugin, "text");
  EXPECT_EQ(text.text.value_or(""), "**step 12**: loss");
  const auto& image = events[6].values.at(0);
  EXPECT_EQ(image.tag, "samples/0");
  EXPECT_EQ(events[6].step, 20);
  EXPECT_EQ(image.image_height, 4);
  EXPECT_EQ(image.image_width, 6);
  EXPECT_EQ(image.image_channels, 3);
  const auto decoded = decode_image(std::vector<uint8_t>(image.image_png.begin(), image.image_png.end()));
  ASSERT_EQ(decoded.type(), CV_8UC3);
  EXPECT_EQ(decoded.at<cv::Vec3b>(3, 5), cv::Vec3b(10, 20, 30));
}

TEST(TensorBoardWriter, EventsDecodeWithProtocAsTensorBoardsFieldNumbers) {
  if (std::system("command -v protoc > /dev/null 2>&1") != 0) GTEST_SKIP() << "protoc is not installed (protobuf-compiler)";
  TempDir dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::create_directories(fs::path(dir.str()));
  const auto message = fs::path(dir.str()) / "event.bin", decoded = fs::path(dir.str()) / "event.txt";
  std::ofstream(message, std::ios::binary) << scalar_event(1.5, 42, "eval/abs_rel", 0.125f);
  ASSERT_EQ(std::system(("protoc --decode_raw < " + message.string() + " > " + decoded.string()).c_str()), 0);
  const auto text = testing::file_content(decoded);
  // Event: 1 wall_time (fixed64 double 1.5), 2 step, 5 summary { 1 value { 1 tag, 2 simple_value } }.
  EXPECT_NE(text.find("1: 0x3ff8000000000000"), std::string::npos) << text;
  EXPECT_NE(text.find("2: 42"), std::string::npos) << text;
  EXPECT_NE(text.find("5 {\n  1 {\n    1: \"eval/abs_rel\"\n    2: 0x3e000000"), std::string::npos) << text;
}

TEST(TensorBoardWriter, RefusesAPictureThatIsNotRgb) {
  TempDir dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
  TensorBoardWriter tb(fs::path(dir.str()).string());
  EXPECT_FALSE(error_message([&] { add_image(tb, "x", cv::Mat(2, 2, CV_32FC1), 0); }).empty());
}

TEST(TensorBoardWriter, NamesTheDirectoryItCannotCreate) {
  TempDir dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::create_directories(fs::path(dir.str()));
  std::ofstream(fs::path(dir.str()) / "file") << "x";
  const auto bad = (fs::path(dir.str()) / "file" / "tb").string();
  EXPECT_NE(error_message([&] { TensorBoardWriter tb(bad); }).find(bad), std::string::npos);
}

}  // namespace
}  // namespace depthguard
