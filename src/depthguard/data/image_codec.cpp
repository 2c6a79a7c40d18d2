#include "depthguard/data/image_codec.h"

#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include <jpeglib.h>
#include <png.h>

// libpng and libjpeg report errors by longjmp. Each function below that calls setjmp holds
// only plain locals (no destructor may be skipped by the jump); the objects that own memory
// live in its caller.

namespace depthguard {

namespace {

bool little_endian_host() {
  const uint16_t one = 1;
  uint8_t first = 0;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

void check_size(int64_t width, int64_t height) {
  if (width <= 0 || height <= 0) throw std::runtime_error("the image has no pixels");
  if (width * height > kMaxImagePixels) {
    throw std::runtime_error("the image claims " + std::to_string(width) + "x" + std::to_string(height) +
                             " pixels, more than the " + std::to_string(kMaxImagePixels) + " accepted");
  }
}

// ---- PNG ----

struct PngErrors {
  char message[256] = "";
};

[[noreturn]] void png_fail(png_structp png, png_const_charp message) {
  auto* errors = static_cast<PngErrors*>(png_get_error_ptr(png));
  std::snprintf(errors->message, sizeof errors->message, "%s", message);
  png_longjmp(png, 1);
}

// libpng's warnings (an unknown or damaged ancillary chunk, an odd ICC profile) leave the
// pixels intact.
void png_ignore_warning(png_structp, png_const_charp) {}

struct PngSource {
  const std::vector<uint8_t>* bytes;
  size_t offset;
};

void png_read_bytes(png_structp png, png_bytep out, png_size_t count) {
  auto* source = static_cast<PngSource*>(png_get_io_ptr(png));
  if (source->bytes->size() - source->offset < count) png_error(png, "the file ends early (truncated)");
  std::memcpy(out, source->bytes->data() + source->offset, count);
  source->offset += count;
}

struct PngLayout {
  png_uint_32 width = 0, height = 0;
  int channels = 0, bit_depth = 0;
};

// The libpng structures of one read or write and the message of its error.
class PngStructures {
 public:
  std::string error() const { return std::string("PNG: ") + errors_.message; }

 protected:
  PngErrors errors_;
  png_structp png_ = nullptr;
  png_infop info_ = nullptr;
};

class PngReader : public PngStructures {
 public:
  PngReader() {
    png_ = png_create_read_struct(PNG_LIBPNG_VER_STRING, &errors_, png_fail, png_ignore_warning);
    if (png_ != nullptr) info_ = png_create_info_struct(png_);
    if (info_ == nullptr) throw std::bad_alloc();
  }
  ~PngReader() { png_destroy_read_struct(&png_, &info_, nullptr); }
  PngReader(const PngReader&) = delete;
  PngReader& operator=(const PngReader&) = delete;

  // The pixel layout after expansion (palette to RGB, sub-8-bit grey to 8 bits, tRNS to alpha).
  bool read_layout(PngSource* source, PngLayout* layout) {
    if (setjmp(png_jmpbuf(png_))) return false;
    png_set_read_fn(png_, source, png_read_bytes);
    png_read_info(png_, info_);
    png_set_expand(png_);
    if (png_get_bit_depth(png_, info_) == 16 && little_endian_host()) png_set_swap(png_);
    png_set_interlace_handling(png_);
    png_read_update_info(png_, info_);
    layout->width = png_get_image_width(png_, info_);
    layout->height = png_get_image_height(png_, info_);
    layout->channels = png_get_channels(png_, info_);
    layout->bit_depth = png_get_bit_depth(png_, info_);
    return true;
  }

  // The rows, then the chunks after them up to IEND (their CRCs checked).
  bool read_rows(png_bytepp rows) {
    if (setjmp(png_jmpbuf(png_))) return false;
    png_read_image(png_, rows);
    png_read_end(png_, info_);
    return true;
  }

};

cv::Mat decode_png(const std::vector<uint8_t>& bytes) {
  PngReader reader;
  PngSource source{&bytes, 0};
  PngLayout layout;
  if (!reader.read_layout(&source, &layout)) throw std::runtime_error(reader.error());
  check_size(layout.width, layout.height);
  const int depth = layout.bit_depth == 16 ? CV_16U : CV_8U;
  cv::Mat image(static_cast<int>(layout.height), static_cast<int>(layout.width), CV_MAKETYPE(depth, layout.channels));
  std::vector<png_bytep> rows(layout.height);
  for (int y = 0; y < image.rows; ++y) rows[static_cast<size_t>(y)] = image.ptr(y);
  if (!reader.read_rows(rows.data())) throw std::runtime_error(reader.error());
  return image;
}

void png_write_bytes(png_structp png, png_bytep data, png_size_t count) {
  auto* out = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + count);
}

class PngWriter : public PngStructures {
 public:
  PngWriter() {
    png_ = png_create_write_struct(PNG_LIBPNG_VER_STRING, &errors_, png_fail, png_ignore_warning);
    if (png_ != nullptr) info_ = png_create_info_struct(png_);
    if (info_ == nullptr) throw std::bad_alloc();
  }
  ~PngWriter() { png_destroy_write_struct(&png_, &info_); }
  PngWriter(const PngWriter&) = delete;
  PngWriter& operator=(const PngWriter&) = delete;

  bool write(const PngLayout& layout, png_bytepp rows, std::vector<uint8_t>* out) {
    static constexpr int kColourTypes[] = {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                           PNG_COLOR_TYPE_RGB_ALPHA};
    if (setjmp(png_jmpbuf(png_))) return false;
    png_set_write_fn(png_, out, png_write_bytes, nullptr);
    png_set_IHDR(png_, info_, layout.width, layout.height, layout.bit_depth, kColourTypes[layout.channels - 1],
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png_, 1);  // fast, as OpenCV's default: the synthetic sets are large
    png_write_info(png_, info_);
    if (layout.bit_depth == 16 && little_endian_host()) png_set_swap(png_);
    png_write_image(png_, rows);
    png_write_end(png_, nullptr);
    return true;
  }

};

// ---- JPEG ----

struct JpegErrors {
  jpeg_error_mgr manager;  // first: libjpeg's err pointer is cast back to JpegErrors
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void jpeg_fail(j_common_ptr common) {
  auto* errors = reinterpret_cast<JpegErrors*>(common->err);
  (*common->err->format_message)(common, errors->message);
  std::longjmp(errors->jump, 1);
}

// Level -1 is a warning: corrupt data, a premature end (libjpeg fills the rest with grey).
// Both are errors here. Other levels are trace messages.
void jpeg_warning_is_error(j_common_ptr common, int level) {
  if (level < 0) jpeg_fail(common);
}

JpegErrors* install_errors(JpegErrors* errors, jpeg_error_mgr** err) {
  *err = jpeg_std_error(&errors->manager);
  errors->manager.error_exit = jpeg_fail;
  errors->manager.emit_message = jpeg_warning_is_error;
  errors->message[0] = '\0';
  return errors;
}

class JpegReader {
 public:
  JpegReader() { install_errors(&errors_, &decoder_.err); }
  ~JpegReader() { jpeg_destroy_decompress(&decoder_); }
  JpegReader(const JpegReader&) = delete;
  JpegReader& operator=(const JpegReader&) = delete;

  bool read_header(const std::vector<uint8_t>& bytes) {
    if (setjmp(errors_.jump)) return false;
    jpeg_create_decompress(&decoder_);
    jpeg_mem_src(&decoder_, bytes.data(), static_cast<unsigned long>(bytes.size()));
    jpeg_read_header(&decoder_, TRUE);
    if (decoder_.jpeg_color_space == JCS_CMYK || decoder_.jpeg_color_space == JCS_YCCK) {
      std::snprintf(errors_.message, sizeof errors_.message, "CMYK JPEG images are not supported");
      return false;
    }
    decoder_.out_color_space = decoder_.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_calc_output_dimensions(&decoder_);
    return true;
  }

  bool read_rows(cv::Mat* image) {
    if (setjmp(errors_.jump)) return false;
    jpeg_start_decompress(&decoder_);
    while (decoder_.output_scanline < decoder_.output_height) {
      JSAMPROW row = image->ptr(static_cast<int>(decoder_.output_scanline));
      jpeg_read_scanlines(&decoder_, &row, 1);
    }
    jpeg_finish_decompress(&decoder_);
    return true;
  }

  int width() const { return static_cast<int>(decoder_.output_width); }
  int height() const { return static_cast<int>(decoder_.output_height); }
  int channels() const { return decoder_.output_components; }
  std::string error() const { return std::string("JPEG: ") + errors_.message; }

 private:
  JpegErrors errors_;
  jpeg_decompress_struct decoder_{};
};

cv::Mat decode_jpeg(const std::vector<uint8_t>& bytes) {
  JpegReader reader;
  if (!reader.read_header(bytes)) throw std::runtime_error(reader.error());
  check_size(reader.width(), reader.height());
  cv::Mat image(reader.height(), reader.width(), CV_8UC(reader.channels()));
  if (!reader.read_rows(&image)) throw std::runtime_error(reader.error());
  return image;
}

class JpegWriter {
 public:
  JpegWriter() { install_errors(&errors_, &encoder_.err); }
  ~JpegWriter() {
    jpeg_destroy_compress(&encoder_);
    std::free(buffer_);  // jpeg_mem_dest's buffer is malloc'ed and left to the caller
  }
  JpegWriter(const JpegWriter&) = delete;
  JpegWriter& operator=(const JpegWriter&) = delete;

  bool write(const cv::Mat& image, int quality) {
    if (setjmp(errors_.jump)) return false;
    jpeg_create_compress(&encoder_);
    jpeg_mem_dest(&encoder_, &buffer_, &size_);
    encoder_.image_width = static_cast<JDIMENSION>(image.cols);
    encoder_.image_height = static_cast<JDIMENSION>(image.rows);
    encoder_.input_components = image.channels();
    encoder_.in_color_space = image.channels() == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&encoder_);
    jpeg_set_quality(&encoder_, quality, TRUE);
    jpeg_start_compress(&encoder_, TRUE);
    while (encoder_.next_scanline < encoder_.image_height) {
      JSAMPROW row = const_cast<uchar*>(image.ptr(static_cast<int>(encoder_.next_scanline)));
      jpeg_write_scanlines(&encoder_, &row, 1);
    }
    jpeg_finish_compress(&encoder_);
    return true;
  }

  std::vector<uint8_t> bytes() const { return std::vector<uint8_t>(buffer_, buffer_ + size_); }
  std::string error() const { return std::string("JPEG: ") + errors_.message; }

 private:
  JpegErrors errors_;
  jpeg_compress_struct encoder_{};
  unsigned char* buffer_ = nullptr;
  unsigned long size_ = 0;
};

}  // namespace

cv::Mat decode_image(const std::vector<uint8_t>& bytes) {
  if (bytes.size() >= 8 && png_sig_cmp(bytes.data(), 0, 8) == 0) return decode_png(bytes);
  if (bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) return decode_jpeg(bytes);
  throw std::runtime_error("not a PNG or JPEG file");
}

std::vector<uint8_t> encode_png(const cv::Mat& image) {
  if ((image.depth() != CV_8U && image.depth() != CV_16U) || image.channels() < 1 || image.channels() > 4 ||
      image.empty()) {
    throw std::invalid_argument("encode_png: image must be 8- or 16-bit with 1 to 4 channels");
  }
  PngLayout layout;
  layout.width = static_cast<png_uint_32>(image.cols);
  layout.height = static_cast<png_uint_32>(image.rows);
  layout.channels = image.channels();
  layout.bit_depth = image.depth() == CV_16U ? 16 : 8;
  std::vector<png_bytep> rows(static_cast<size_t>(image.rows));
  for (int y = 0; y < image.rows; ++y) rows[static_cast<size_t>(y)] = const_cast<png_bytep>(image.ptr(y));
  std::vector<uint8_t> out;
  PngWriter writer;
  if (!writer.write(layout, rows.data(), &out)) throw std::runtime_error(writer.error());
  return out;
}

std::vector<uint8_t> encode_jpeg(const cv::Mat& image, int quality) {
  if (image.depth() != CV_8U || (image.channels() != 1 && image.channels() != 3) || image.empty()) {
    throw std::invalid_argument("encode_jpeg: image must be 8-bit with 1 or 3 channels");
  }
  if (quality < 1 || quality > 100) throw std::invalid_argument("encode_jpeg: quality must be in [1, 100]");
  JpegWriter writer;
  if (!writer.write(image, quality)) throw std::runtime_error(writer.error());
  return writer.bytes();
}

}  // namespace depthguard
