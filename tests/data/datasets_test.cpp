#include <fstream>

#include <opencv2/core.hpp>

#include "data/data_test_support.h"
#include "depthguard/core/errors.h"
#include "depthguard/data/data_error.h"
#include "depthguard/data/folder_dataset.h"
#include "depthguard/data/image_io.h"
#include "depthguard/data/read_sample.h"
#include "depthguard/data/rgbd_sample.h"
#include "depthguard/data/split_file_dataset.h"
#include "depthguard/data/synth/dataset_writer.h"
#include "depthguard/data/synth/synthetic_dataset.h"
#include "depthguard/data/synth/synthetic_scenes.h"
#include "test_support.h"

namespace depthguard {
namespace {

using testing::TempDir;

SynthDatasetOptions six_scenes(const TempDir& dir) {
  return SynthDatasetOptions().out(dir.str()).count(6).test_fraction(0.2).scenes(testing::small_scenes());
}

std::string message_of(const std::function<void()>& f) { return testing::error_message(f); }

TEST(SynthDatasetWriter, WritesTheNyuLayoutThatTheNyuLoaderReadsBack) {
  TempDir dir("writer");
  const auto result = write_synthetic_dataset(six_scenes(dir), [](int64_t) { return true; });
  EXPECT_TRUE(result.complete);
  EXPECT_EQ(result.written, 6);
  SplitFileDataset train(nyu_split((dir / "train.txt").string(), dir.str()));
  SplitFileDataset test(nyu_split((dir / "test.txt").string(), dir.str()));
  ASSERT_EQ(train.size(), 4);  // ceil(6 * 0.2) = 2 test scenes
  ASSERT_EQ(test.size(), 2);
  const auto back = test.get(1);
  const auto original = render_synthetic(5, testing::small_scenes());
  EXPECT_TRUE(testing::same(back.rgb, original.rgb));  // PNG is lossless
  EXPECT_LE(cv::norm(back.depth, original.depth, cv::NORM_INF), 0.0005 + 1e-6);  // millimetres
  EXPECT_EQ(back.id, "000005");
  EXPECT_NEAR(back.focal, 518.8579 * 64 / 640, 1e-4);  // NYU focal at this width
}

TEST(SynthDatasetWriter, ResumesAfterAnInterruptionAndRefusesOtherOptions) {
  TempDir dir("resume");
  const auto first = write_synthetic_dataset(six_scenes(dir), [](int64_t done) { return done < 3; });
  EXPECT_FALSE(first.complete);
  EXPECT_FALSE(std::filesystem::exists(dir / "train.txt"));
  const auto second = write_synthetic_dataset(six_scenes(dir), [](int64_t) { return true; });
  EXPECT_TRUE(second.complete);
  EXPECT_EQ(second.kept, 3);
  EXPECT_EQ(second.written, 3);
  EXPECT_THROW(write_synthetic_dataset(six_scenes(dir).count(7), [](int64_t) { return true; }), InvalidArgument);
  // A scene cut short on disk is rendered again, not kept.
  const auto cut = dir / "depth" / "000001.png";
  const auto whole = read_depth(cut.string(), 1000);
  std::filesystem::resize_file(cut, std::filesystem::file_size(cut) / 2);
  const auto third = write_synthetic_dataset(six_scenes(dir), [](int64_t) { return true; });
  EXPECT_EQ(third.kept, 5);
  EXPECT_EQ(third.written, 1);
  EXPECT_TRUE(testing::same(read_depth(cut.string(), 1000), whole));
}

TEST(SplitFileDataset, ErrorsNameTheFileAndLine) {
  TempDir dir("split");
  const auto split = (dir / "split.txt").string();
  EXPECT_NE(message_of([&] { SplitFileDataset(nyu_split(split, dir.str())); }).find(split + ": split file not found"),
            std::string::npos);
  std::ofstream(split) << "a.png b.png 500\n\nonly_one_field.png\n";
  EXPECT_EQ(message_of([&] { SplitFileDataset(nyu_split(split, dir.str())); }),
            split + ":3: expected 'rgb_path depth_path [focal]'");
  const auto bad_line = [&](const std::string& line) {
    std::ofstream(split) << line;
    return message_of([&] { SplitFileDataset(nyu_split(split, dir.str())); });
  };
  EXPECT_EQ(bad_line("a.png b.png fivehundred\n"), split + ":1: focal 'fivehundred' is not a positive number of pixels");
  EXPECT_EQ(bad_line("a.png b.png -500\n"), split + ":1: focal '-500' is not a positive number of pixels");
  EXPECT_EQ(bad_line("a.png b.png 500px\n"), split + ":1: focal '500px' is not a positive number of pixels");
  EXPECT_EQ(bad_line("a.png b.png inf\n"), split + ":1: focal 'inf' is not a positive number of pixels");
  EXPECT_EQ(bad_line("a.png b.png 500 extra\n"),
            split + ":1: unexpected column 'extra'; expected 'rgb_path depth_path [focal]'");
  EXPECT_EQ(bad_line(std::string("a.png\0x b.png\n", 13)), split + ":1: a NUL byte in the line (damaged file?)");
  std::ofstream(split) << "/a.png None 721\n/a.png /b.png 721\n";
  SplitFileDataset kitti(kitti_split(split, dir.str(), dir.str()));
  EXPECT_EQ(kitti.size(), 1);
  EXPECT_EQ(kitti.lines_without_depth(), 1);
  EXPECT_NE(message_of([&] { kitti.get(0); }).find((dir / "a.png").string() + ": file not found"), std::string::npos);
}

TEST(SplitFileDataset, SizeMismatchIsNamed) {
  TempDir dir("mismatch");
  write_rgb((dir / "a.png").string(), cv::Mat(4, 6, CV_8UC3, cv::Scalar::all(9)));
  write_depth((dir / "b.png").string(), cv::Mat(5, 6, CV_32FC1, cv::Scalar(1)), 1000);
  std::ofstream((dir / "s.txt").string()) << "a.png b.png\n";
  SplitFileDataset data(nyu_split((dir / "s.txt").string(), dir.str()));
  EXPECT_EQ(message_of([&] { data.get(0); }), (dir / "a.png").string() + ": RGB is 6x4 but depth is 6x5");
}

TEST(SplitFileDataset, KittiDepthScaleAndKbCrop) {
  TempDir dir("kitti");
  cv::Mat rgb(375, 1242, CV_8UC3, cv::Scalar::all(0));
  cv::Mat depth(375, 1242, CV_32FC1, cv::Scalar(0));
  depth.at<float>(23, 13) = 12.5f;  // the KB crop's top-left corner: row 375 - 352, col (1242 - 1216) / 2
  write_rgb((dir / "i.png").string(), rgb);
  write_depth((dir / "d.png").string(), depth, 256);
  std::ofstream((dir / "s.txt").string()) << "i.png d.png 721.5377\n";
  const auto s = SplitFileDataset(kitti_split((dir / "s.txt").string(), dir.str(), dir.str())).get(0);
  EXPECT_EQ(s.rgb.size(), cv::Size(1216, 352));
  EXPECT_FLOAT_EQ(s.depth.at<float>(0, 0), 12.5f);
  RgbdSample small{cv::Mat(100, 100, CV_8UC3), cv::Mat(100, 100, CV_32FC1), "x", 0};
  EXPECT_THROW(kb_crop(small, "x.png"), DataError);
}

TEST(FolderDataset, MatchesByStemAndNamesWhatIsMissing) {
  TempDir dir("folder");
  write_synthetic_dataset(six_scenes(dir), [](int64_t) { return true; });
  FolderDataset data(FolderOptions().root(dir.str()));
  EXPECT_EQ(data.size(), 6);
  EXPECT_TRUE(testing::same(data.get(2).rgb, render_synthetic(2, testing::small_scenes()).rgb));
  std::filesystem::remove(dir / "depth/000004.png");
  EXPECT_EQ(message_of([&] { FolderDataset(FolderOptions().root(dir.str())); }),
            (dir / "rgb/000004.png").string() + ": no depth file " + (dir / "depth/000004.png").string());
  EXPECT_NE(message_of([&] { FolderDataset(FolderOptions().root((dir / "nowhere").string())); }).find("folder not found"),
            std::string::npos);
}

// A directory named like an image is a sample that cannot be read: named when read, stopped
// on or skipped and counted as on_bad_sample says, never left out without a word.
TEST(FolderDataset, ADirectoryNamedLikeAnImageIsABadSampleNotADroppedOne) {
  TempDir dir("folder_dir_png");
  write_synthetic_dataset(six_scenes(dir), [](int64_t) { return true; });
  std::filesystem::create_directory(dir / "rgb/x.png");
  FolderDataset data(FolderOptions().root(dir.str()));
  ASSERT_EQ(data.size(), 7);
  const int64_t x = 6;  // after 000000..000005
  EXPECT_EQ(message_of([&] { read_sample(data, x, BadSamplePolicy::Error); }),
            (dir / "rgb/x.png").string() + ": is a directory, not an image");
  EXPECT_FALSE(read_sample(data, x, BadSamplePolicy::Skip));
  EXPECT_TRUE(read_sample(data, 0, BadSamplePolicy::Error));
}

TEST(SplitFileDataset, ADirectoryGivenAsTheSplitFileIsNamedAsOne) {
  TempDir dir("split_is_dir");
  EXPECT_EQ(message_of([&] { SplitFileDataset(nyu_split(dir.str(), dir.str())); }),
            dir.str() + ": is a directory, not a split file");
}

TEST(SyntheticDataset, StreamsScenesFromItsFirstIndex) {
  SyntheticDataset held_out(3, testing::small_scenes(), 1000);
  EXPECT_EQ(held_out.size(), 3);
  EXPECT_TRUE(testing::same(held_out.get(2).depth, render_synthetic(1002, testing::small_scenes()).depth));
}

}  // namespace
}  // namespace depthguard
