// The SwinV2 encoder and swinv2-mim: window arithmetic, the shifted-window mask, the
// continuous position bias, shapes at sizes that need padding, parameter counts, and a tiny
// model that overfits a batch.
#include "depthguard/models/swin_v2_encoder.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <numeric>

#include <nlohmann/json.hpp>
#include <torch/serialize.h>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "depthguard/losses/depth_loss.h"
#include "depthguard/models/depth_model.h"
#include "depthguard/models/window_attention.h"
#include "depthguard/models/window_partition.h"
#include "depthguard/optim/optimizer.h"
#include "depthguard/runtime/autocast.h"
#include "depthguard/train/state_dict_import.h"
#include "data/data_test_support.h"
#include "python_support.h"

namespace depthguard {
namespace {

// A SwinV2 small enough for a 2-core test: 4 blocks, 8 channels at first.
SwinV2Options tiny_swin() {
  return SwinV2Options().embed_dim(8).depths({1, 1, 1, 1}).heads({1, 2, 2, 4}).window_sizes({4, 4, 2, 2});
}

TEST(WindowPartition, RoundTripsAndOrdersWindowsRowMajor) {
  const auto x = torch::arange(2 * 4 * 6 * 3, torch::kFloat).view({2, 4, 6, 3});
  const auto windows = window_partition(x, 2);
  EXPECT_EQ(windows.sizes(), (std::vector<int64_t>{2 * 2 * 3, 4, 3}));
  EXPECT_TRUE(torch::equal(windows[1][0], x[0][0][2]));  // the second window starts at column 2
  EXPECT_TRUE(torch::equal(window_reverse(windows, 2, 4, 6), x));
  EXPECT_EQ(window_partition(torch::zeros({0, 4, 4, 3}), 4).sizes(), (std::vector<int64_t>{0, 16, 3}));  // B = 0
  EXPECT_EQ(window_partition(x, 1).size(1), 1);  // w = 1: every token its own window
  EXPECT_THROW(window_partition(x, 4), c10::Error);  // 4 does not divide 6
}

TEST(ShiftedWindowMask, SeparatesTokensThatTheCyclicShiftBroughtTogether) {
  const auto mask = shifted_window_mask(8, 8, 4, 2);
  EXPECT_EQ(mask.sizes(), (std::vector<int64_t>{4, 16, 16}));
  EXPECT_EQ(mask[0].abs().sum().item<float>(), 0);  // the top-left window holds one region
  EXPECT_TRUE(torch::equal(mask, mask.transpose(1, 2)));
  EXPECT_EQ(torch::diagonal(mask, 0, 1, 2).abs().sum().item<float>(), 0);  // a token always sees itself
  // The bottom-right window holds four regions of 2x2 tokens: each sees its own 4 of 16.
  EXPECT_EQ((mask[3] == 0).sum().item<int64_t>(), 4 * 16);
  EXPECT_EQ((mask[3] == -100).sum().item<int64_t>(), 16 * 16 - 4 * 16);
  EXPECT_EQ(shifted_window_mask(8, 8, 4, 0).abs().sum().item<float>(), 0);  // no shift: no mask
}

TEST(WindowAttention, PositionBiasIsBoundedAndShapedPerHead) {
  WindowAttention attention(8, 2, 4);
  const auto bias = attention->position_bias();
  EXPECT_EQ(bias.sizes(), (std::vector<int64_t>{2, 16, 16}));
  EXPECT_GT(bias.min().item<float>(), 0);
  EXPECT_LT(bias.max().item<float>(), 16);
  const auto buffers = attention->named_buffers();
  const auto index = buffers["relative_position_index"];
  EXPECT_EQ(index.min().item<int64_t>(), 0);
  EXPECT_EQ(index.max().item<int64_t>(), 7 * 7 - 1);
  EXPECT_EQ(index[5][5].item<int64_t>(), (7 * 7 - 1) / 2);  // a token to itself: offset (0, 0)
  // Log-spaced coordinates: +-(w-1) maps to +-1 (log2(9) / log2(8) after scaling to 8).
  const auto table = buffers["relative_coords_table"];
  EXPECT_NEAR(table.max().item<float>(), std::log2(9.0) / 3.0, 1e-6);
  // Normalised by a pretraining window of 8 instead, the largest offset 3 is 3/7 of 8.
  WindowAttention pretrained(8, 2, 4, 8);
  EXPECT_NEAR(pretrained->named_buffers()["relative_coords_table"].max().item<float>(),
              std::log2(3.0 / 7.0 * 8.0 + 1.0) / 3.0, 1e-6);
  EXPECT_EQ(attention->forward(torch::randn({6, 16, 8})).sizes(), (std::vector<int64_t>{6, 16, 8}));
  EXPECT_THROW(WindowAttention(8, 3, 4), c10::Error);  // 3 heads do not divide 8 channels
}

// The logit scale is clamped at 100 (log 100 = 4.6): a scale learned past it changes nothing,
// which bounds the attention logits (cosine similarity is in [-1, 1]).
TEST(WindowAttention, TheLogitScaleIsClampedAt100) {
  torch::manual_seed(0);
  WindowAttention at_limit(8, 2, 4), beyond(8, 2, 4);
  torch::NoGradGuard no_grad;
  const auto source = at_limit->named_parameters(), target = beyond->named_parameters();
  for (const auto& p : source) target[p.key()].copy_(p.value());
  source["logit_scale"].fill_(std::log(100.0));
  target["logit_scale"].fill_(std::log(1000.0));
  const auto x = torch::randn({3, 16, 8});
  EXPECT_TRUE(torch::allclose(at_limit(x), beyond(x)));
  target["logit_scale"].fill_(std::log(10.0));
  EXPECT_FALSE(torch::allclose(at_limit(x), beyond(x)));  // below the clamp it matters
}

// With the mask, a shifted block keeps the map's opposite corners apart: the cyclic shift
// puts token (7, 7) into one window with tokens (0, 0) to (1, 1).
TEST(SwinV2Block, TheShiftedWindowMaskKeepsWrappedTokensApart) {
  torch::manual_seed(0);
  SwinV2Block block(8, 2, 4, 0, /*shifted=*/true, 4.0, 0.0);
  block->eval();
  torch::NoGradGuard no_grad;
  for (auto& p : block->named_parameters()) {
    if (p.key().find("norm") != std::string::npos && p.key().find("weight") != std::string::npos) p.value().fill_(1);
  }
  auto x = torch::randn({1, 8, 8, 8});
  const auto before = block(x);
  x[0][7][7] += 5;
  const auto after = block(x);
  EXPECT_TRUE(torch::allclose(before[0][0][0], after[0][0][0]));  // across the wrap: not seen
  EXPECT_FALSE(torch::allclose(before[0][6][6], after[0][6][6]));  // a true neighbour: seen
}

TEST(SwinV2Encoder, FeaturesAtStrides4To32AtSizesThatNeedPadding) {
  SwinV2Encoder encoder(tiny_swin());
  // 64x96: the stages are 16x24, 8x12, 4x6 and 2x3 tokens; windows 4, 4, 2, 2 pad 4x6 and
  // 2x3 up to multiples of 2.
  const auto features = encoder->forward(torch::randn({2, 3, 64, 96}));
  ASSERT_EQ(features.size(), 4u);
  for (size_t s = 0; s < 4; ++s) {
    const int64_t stride = int64_t{4} << s;
    EXPECT_EQ(features[s].sizes(), (std::vector<int64_t>{2, 8 << s, 64 / stride, 96 / stride})) << s;
  }
  EXPECT_EQ(encoder->channels(), (std::vector<int64_t>{8, 16, 32, 64}));
  EXPECT_EQ(encoder->forward(torch::randn({1, 3, 32, 32})).back().sizes(), (std::vector<int64_t>{1, 64, 1, 1}));  // N = 1 token
  EXPECT_THROW(encoder->forward(torch::randn({1, 3, 30, 32})), c10::Error);  // not a multiple of the patch
}

// The shifted-window masks are kept per map size: another size in between changes nothing.
// (64x96 and 96x64 have as many windows per stage, so a mask of the wrong size would pass
// unnoticed but for the values.)
TEST(SwinV2Encoder, EachMapSizeGetsItsOwnShiftedWindowMask) {
  const auto shifting = tiny_swin().depths({2, 2, 2, 2});  // every second block shifts
  torch::manual_seed(3);
  SwinV2Encoder encoder(shifting);
  torch::manual_seed(3);
  SwinV2Encoder fresh(shifting);  // the same weights, no mask made yet
  encoder->eval();
  fresh->eval();
  torch::NoGradGuard no_grad;
  for (auto* e : {&encoder, &fresh}) {  // blocks start as the identity (post-norm weights 0): make them act
    for (auto& p : (*e)->named_parameters()) {
      if (p.key().find(".norm1.weight") != std::string::npos || p.key().find(".norm2.weight") != std::string::npos) {
        p.value().fill_(1);
      }
    }
  }
  const auto wide = torch::randn({1, 3, 64, 96}), tall = torch::randn({1, 3, 96, 64});
  const auto first = encoder->forward(wide).back();
  EXPECT_TRUE(torch::equal(encoder->forward(tall).back(), fresh->forward(tall).back()));
  EXPECT_TRUE(torch::equal(encoder->forward(wide).back(), first));
}

TEST(SwinV2Encoder, RejectsOptionsByName) {
  EXPECT_THROW(SwinV2Encoder(SwinV2Options().depths({2, 2, 2})), c10::Error);
  EXPECT_THROW(SwinV2Encoder(SwinV2Options().drop_path_rate(1)), c10::Error);
}

// The parameters a SwinV2 encoder must have, counted from the architecture's definition
// rather than from the code under test: per block two norms, qkv (no bias) with q and v
// biases, the output projection, the logit scales, the position-bias MLP (2-512-heads, the
// last without bias) and the MLP; per merging a bias-free 4C -> 2C map and its norm.
int64_t expected_parameters(const SwinV2Options& o) {
  int64_t n = 3 * o.embed_dim() * 16 + o.embed_dim() + 2 * o.embed_dim();  // patch embedding, its norm
  for (size_t s = 0; s < 4; ++s) {
    const int64_t c = o.embed_dim() << s, h = o.heads()[s], hidden = 4 * c;
    const int64_t block = 2 * 2 * c + 3 * c * c + 2 * c + c * c + c + h + (2 * 512 + 512 + 512 * h) +
                          (c * hidden + hidden + hidden * c + c);
    n += o.depths()[s] * block;
    if (s < 3) n += 4 * c * 2 * c + 2 * 2 * c;
  }
  return n + 2 * (o.embed_dim() << 3);  // the final norm
}

// The published sizes (SwinV2 paper, with a 1000-class head: 28 M, 88 M, 197 M).
TEST(SwinV2Encoder, ParameterCountsOfThePublishedSizes) {
  for (const auto& [size, published_millions] :
       std::vector<std::pair<SwinSize, double>>{{SwinSize::Tiny, 28}, {SwinSize::Base, 88}, {SwinSize::Large, 197}}) {
    const auto options = swin_v2_preset(size);
    SwinV2Encoder encoder(options);
    const int64_t count = parameter_count(*encoder);
    const int64_t classifier = (options.embed_dim() << 3) * 1000 + 1000;
    std::printf("swinv2 %s encoder: %lld parameters (%lld with a 1000-class head)\n",
                choice_name(swin_size_choices(), size).c_str(), static_cast<long long>(count),
                static_cast<long long>(count + classifier));
    EXPECT_EQ(count, expected_parameters(options));
    EXPECT_NEAR((count + classifier) / 1e6, published_millions, 0.5);
  }
}

TEST(SwinV2Mim, ATinyModelOverfitsABatch) {
  torch::manual_seed(0);
  auto options = ModelOptions().arch(Architecture::SwinV2Mim).swin(tiny_swin().drop_path_rate(0));
  DepthModel model(options);
  const auto image = torch::randn({2, 3, 64, 64});
  // Smooth depth (a 2x2 grid per image, upsampled): what a decoder at stride 32 can draw.
  const auto coarse = torch::rand({2, 1, 2, 2}) * 4 + 1;
  const auto depth = torch::nn::functional::interpolate(
      coarse, torch::nn::functional::InterpolateFuncOptions().size(std::vector<int64_t>{64, 64}).mode(torch::kBilinear).align_corners(false));
  EXPECT_EQ(model(image).sizes(), (std::vector<int64_t>{2, 1, 64, 64}));
  auto optimizer = make_optimizer(OptimizerOptions().lr(3e-3), *model);
  const LossConfig loss;
  double first = 0, last = 0;
  for (int step = 0; step < 60; ++step) {
    optimizer->zero_grad();
    const auto out = depth_loss(loss, model(image), depth);
    out.loss.backward();
    optimizer->step();
    (step == 0 ? first : last) = out.report.item<double>();
  }
  EXPECT_LT(last, 0.5 * first) << "first " << first << ", last " << last;
}

// The forward pass under bfloat16 autocast (train.precision: bf16), as the trainer runs it:
// the prediction back in float32 and finite, and the gradients flow.
TEST(SwinV2Mim, TrainsUnderBfloat16Autocast) {
  torch::manual_seed(0);
  DepthModel model(ModelOptions().arch(Architecture::SwinV2Mim).swin(tiny_swin()));
  torch::Tensor prediction;
  {
    const Autocast autocast(c10::kCPU, c10::kBFloat16);
    prediction = model(torch::randn({2, 3, 64, 96})).to(torch::kFloat);
  }
  EXPECT_TRUE(torch::isfinite(prediction).all().item<bool>());
  depth_loss(LossConfig(), prediction, torch::rand({2, 1, 64, 96}) + 1).loss.backward();
  for (const auto& p : model->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_TRUE(torch::isfinite(p.value().grad()).all().item<bool>()) << p.key();
  }
}

// timm's SwinV2 with the same random weights (scripts/swin-reference.py, in the Python of the
// LibTorch 2.x build, which has timm) against depthguard's, stage by stage: the largest
// difference of each stage's features over timm's, for an input of `height` x `width` and a
// window of `window` in every stage.
std::vector<double> differences_from_timm(int64_t height, int64_t width, int64_t window) {
  testing::TempDir dir("swin_reference_" + std::to_string(height) + "x" + std::to_string(width) + "_" +
                       std::to_string(window));
  const auto command = testing::python_command(DEPTHGUARD_SOURCE_DIR "/scripts/swin-reference.py " + dir.str() +
                                               " --size " + std::to_string(height) + " " + std::to_string(width) +
                                               " --window " + std::to_string(window));
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  SwinV2Encoder encoder(swin_v2_preset(SwinSize::Tiny).window_sizes({window, window, window, window}));
  const auto untouched = import_state_dict(dir.str() + "/weights.pth", *encoder, "encoder.");
  EXPECT_TRUE(untouched.empty()) << untouched.size() << " parameters not in timm's, the first " << untouched.front();
  std::ifstream info_file(dir.str() + "/reference.json");
  const auto info = nlohmann::json::parse(info_file);
  EXPECT_EQ(parameter_count(*encoder), info["parameters"].get<int64_t>());
  EXPECT_EQ(static_cast<int64_t>(encoder->parameters().size()), info["parameter_tensors"].get<int64_t>());
  std::ifstream in(dir.str() + "/reference.pth", std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto reference = torch::pickle_load(bytes).toGenericDict();
  encoder->eval();
  torch::NoGradGuard no_grad;
  const auto features = encoder->forward(reference.at("image").toTensor());
  std::vector<double> worst;
  for (size_t s = 0; s < features.size(); ++s) {
    const auto expected = reference.at("stage" + std::to_string(s)).toTensor();
    EXPECT_EQ(features[s].sizes(), expected.sizes()) << "stage " << s;
    if (features[s].sizes() != expected.sizes()) return {};
    worst.push_back((features[s] - expected).abs().max().item<double>());
    std::printf("timm %s, %ldx%ld, window %ld, stage %zu: largest difference %.3g over features of scale %.3g\n",
                info["timm"].get<std::string>().c_str(), height, width, window, s, worst.back(),
                expected.abs().max().item<double>());
  }
  return worst;
}

constexpr double kTimmTolerance = 1e-4;  // float32 over 12 blocks, features of scale ~10

TEST(SwinV2Reference, MatchesTimmWithTheSameWeights) {
  DEPTHGUARD_REQUIRE_PYTHON("timm, torch");
  for (const double d : differences_from_timm(256, 256, 8)) EXPECT_LT(d, kTimmTolerance);
}

// Every stage's map a multiple of the window and larger than it (128x192 to 16x24 tokens):
// no padding anywhere, the shifted windows and their masks on a non-square map.
TEST(SwinV2Reference, MatchesTimmOnANonSquareInput) {
  DEPTHGUARD_REQUIRE_PYTHON("timm, torch");
  for (const double d : differences_from_timm(512, 768, 8)) EXPECT_LT(d, kTimmTolerance);
}

// Window 16 on a 256x256 input: stages 1-3 (64, 32, 16 tokens a side) match; the last stage's
// 8x8 map is smaller than the window, where timm shrinks the window to the map and
// depthguard pads the map to the window with zeros (as MIM and Swin's detection code do), so
// its attention also sees the padding: the features differ there by design.
TEST(SwinV2Reference, AWindowLargerThanTheMapIsPaddedWhereTimmShrinksIt) {
  DEPTHGUARD_REQUIRE_PYTHON("timm, torch");
  const auto worst = differences_from_timm(256, 256, 16);
  ASSERT_EQ(worst.size(), 4u);
  for (int s = 0; s < 3; ++s) EXPECT_LT(worst[s], kTimmTolerance) << "stage " << s;
  EXPECT_GT(worst[3], 100 * kTimmTolerance) << "the last stage no longer differs: update docs/config.md";
}

}  // namespace
}  // namespace depthguard
