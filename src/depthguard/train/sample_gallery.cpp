#include "depthguard/train/sample_gallery.h"

#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "depthguard/data/image_codec.h"
#include "depthguard/report/sample_panel.h"
#include "depthguard/runtime/atomic_file.h"

namespace depthguard {

namespace fs = std::filesystem;

namespace {

// A picture at most kMaxTileWidth wide: a KITTI frame's four tiles would make each
// evaluation's panels megabytes in TensorBoard's files. Depth maps shrink by nearest
// neighbour, so an invalid pixel (0) is never blended into a valid one.
constexpr int kMaxTileWidth = 320;

cv::Mat shrunk(const cv::Mat& picture, int interpolation) {
  if (picture.cols <= kMaxTileWidth) return picture;
  const double scale = static_cast<double>(kMaxTileWidth) / picture.cols;
  cv::Mat out;
  cv::resize(picture, out, {kMaxTileWidth, std::max(1, static_cast<int>(picture.rows * scale + 0.5))}, 0, 0, interpolation);
  return out;
}

}  // namespace

DrawnSample draw_sample(const RgbdSample& sample, const torch::Tensor& depth) {
  TORCH_CHECK(depth.device().is_cpu() && depth.scalar_type() == torch::kFloat && depth.is_contiguous() &&
                  depth.dim() == 2 && depth.size(0) == sample.rgb.rows && depth.size(1) == sample.rgb.cols,
              "draw_sample: depth must be a contiguous CPU float32 map of the sample's size");
  const cv::Mat pred(sample.rgb.rows, sample.rgb.cols, CV_32FC1, depth.data_ptr<float>());
  return {sample.id, sample_panel(shrunk(sample.rgb, cv::INTER_AREA), shrunk(sample.depth, cv::INTER_NEAREST),
                                  shrunk(pred, cv::INTER_NEAREST), ColorMap::Turbo)};
}

void write_samples(const std::string& directory, int64_t step, const std::vector<DrawnSample>& samples) {
  fs::create_directories(directory);
  nlohmann::json index{{"step", step}, {"error_scale", kPanelErrorScale}, {"samples", nlohmann::json::array()}};
  for (size_t i = 0; i < samples.size(); ++i) {
    const auto name = fmt::format("sample-{}.png", i);
    const auto png = encode_png(samples[i].picture);
    write_file_atomically((fs::path(directory) / name).string(),
                          std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
    index["samples"].push_back({{"id", samples[i].id}, {"file", name}});
  }
  for (size_t i = samples.size(); fs::exists(fs::path(directory) / fmt::format("sample-{}.png", i)); ++i) {
    fs::remove(fs::path(directory) / fmt::format("sample-{}.png", i));
  }
  write_file_atomically((fs::path(directory) / "samples.json").string(), index.dump(2) + "\n");
}

}  // namespace depthguard
