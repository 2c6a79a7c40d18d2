#include "depthguard/report/tensorboard_image.h"

#include <stdexcept>
#include <string_view>

#include "depthguard/data/image_codec.h"

namespace depthguard {

void add_image(TensorBoardWriter& tensorboard, const std::string& tag, const cv::Mat& rgb, int64_t step) {
  if (rgb.type() != CV_8UC3) throw std::invalid_argument("add_image: the picture must be CV_8UC3");
  const auto png = encode_png(rgb);
  tensorboard.add_png(tag, std::string_view(reinterpret_cast<const char*>(png.data()), png.size()), rgb.rows,
                      rgb.cols, 3, step);
}

}  // namespace depthguard
