// PyTorch state dicts into LibTorch modules by name (--init FILE.pth).
#include "depthguard/train/state_dict_import.h"

#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>
#include <torch/serialize.h>
#include <torch/torch.h>

#include "data/data_test_support.h"
#include "depthguard/models/depth_model.h"
#include "python_support.h"
#include "test_paths.h"
#include "test_support.h"

namespace depthguard {
namespace {

// What torch.save writes for a dict of tensors, from C++ (torch::pickle_save is its format).
void save_dict(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& entries) {
  c10::impl::GenericDict dict(c10::StringType::get(), c10::TensorType::get());
  for (const auto& [name, tensor] : entries) dict.insert(name, tensor);
  const auto bytes = torch::pickle_save(c10::IValue(dict));
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string import_error(const std::string& path, torch::nn::Module& module, const std::string& prefix = "") {
  return testing::error_message<std::runtime_error>([&] { import_state_dict(path, module, prefix); });
}

TEST(StateDictImport, LoadsByNameAndSaysWhatItLeftAlone) {
  testing::TempDir dir("state_dict_import");
  torch::nn::Linear source(3, 2), target(3, 2);
  const auto file = (dir / "weights.pth").string();
  save_dict(file, {{"encoder.weight", source->weight.detach()}});
  EXPECT_EQ(import_state_dict(file, *target, "encoder."), std::vector<std::string>({"bias"}));
  EXPECT_TRUE(torch::equal(target->weight, source->weight));
  save_dict(file, {{"weight", source->weight.detach()}, {"bias", source->bias.detach()}});
  EXPECT_TRUE(import_state_dict(file, *target).empty());
  EXPECT_TRUE(torch::equal(target->bias, source->bias));
  EXPECT_TRUE(is_state_dict_file(file));
  EXPECT_FALSE(is_state_dict_file((dir / "last.pt").string()));
}

TEST(StateDictImport, RefusesNamesShapesAndFilesItCannotPlaceNamingThem) {
  testing::TempDir dir("state_dict_refuse");
  torch::nn::Linear target(3, 2);
  const auto file = (dir / "weights.pth").string();
  save_dict(file, {{"wieght", torch::zeros({2, 3})}});
  EXPECT_NE(import_error(file, *target).find("entry wieght has no tensor of that name in the model"), std::string::npos);
  save_dict(file, {{"weight", torch::zeros({3, 3})}});
  EXPECT_NE(import_error(file, *target).find("entry weight has shape [3, 3], the model's [2, 3]"), std::string::npos);
  EXPECT_NE(import_error(file, *target, "encoder.").find("entry weight does not start with encoder."), std::string::npos);
  EXPECT_NE(import_error((dir / "nowhere.pth").string(), *target).find("nowhere.pth: cannot open"), std::string::npos);
  std::ofstream(dir / "text.pth") << "not a pickle";
  EXPECT_NE(import_error((dir / "text.pth").string(), *target).find("not a state dict written by torch.save"),
            std::string::npos);
  const auto bytes = torch::pickle_save(c10::IValue(torch::zeros({1})));
  std::ofstream(dir / "tensor.pth", std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  EXPECT_NE(import_error((dir / "tensor.pth").string(), *target).find("not a dict of tensors"), std::string::npos);
}

// The file Python's own torch.save writes.
TEST(StateDictImport, ReadsWhatPythonsTorchSaveWrote) {
  DEPTHGUARD_REQUIRE_PYTHON("torch");
  testing::TempDir dir("state_dict_python");
  const auto file = (dir / "linear.pth").string();
  const auto command = testing::python_command("-c 'import torch; torch.save({\"weight\": torch.arange(6.).view(2, 3), "
                       "\"bias\": torch.tensor([1., 2.])}, \"" + file + "\")'");
  ASSERT_EQ(std::system(command.c_str()), 0);
  torch::nn::Linear target(3, 2);
  EXPECT_TRUE(import_state_dict(file, *target).empty());
  EXPECT_TRUE(torch::equal(target->weight, torch::arange(6.0, torch::kFloat).view({2, 3})));
}

// scripts/convert_weights.py on checkpoints laid out as MIM's and timm's are: the weights of
// one model reach another by name, whatever the source called them.
TEST(ConvertWeights, MimAndTimmLayoutsReachTheModelByName) {
  DEPTHGUARD_REQUIRE_PYTHON("torch");
  testing::TempDir dir("convert_weights");
  const auto options = ModelOptions().arch(Architecture::SwinV2Mim).swin(
      SwinV2Options().embed_dim(8).depths({1, 1, 1, 1}).heads({1, 1, 2, 2}).window_sizes({2, 2, 2, 2}));
  torch::manual_seed(1);
  DepthModel source(options);
  const auto convert = [&](const std::string& name, const std::vector<std::pair<std::string, torch::Tensor>>& entries) {
    save_dict((dir / (name + ".pt")).string(), entries);
    const auto command = testing::python_command(DEPTHGUARD_SOURCE_DIR "/scripts/convert_weights.py " +
                                                 (dir / (name + ".pt")).string() + " " + (dir / (name + ".pth")).string() +
                                                 " >/dev/null");
    EXPECT_EQ(std::system(command.c_str()), 0) << name;
    return (dir / (name + ".pth")).string();
  };
  // MIM: the whole model under "module.", its final norm called norm3.
  std::vector<std::pair<std::string, torch::Tensor>> mim, timm;
  for (const auto& t : source->named_parameters()) {
    auto name = t.key();
    if (name.rfind("encoder.norm.", 0) == 0) name = "encoder.norm3." + name.substr(13);
    mim.emplace_back("module." + name, t.value().detach());
    // timm 0.9 on: the encoder alone, no prefix, merging at the start of the next stage, a classifier.
    if (name.rfind("encoder.", 0) != 0) continue;
    name = t.key().substr(8);
    if (name.find(".downsample.") != std::string::npos) name[7] = static_cast<char>(name[7] + 1);
    timm.emplace_back(name, t.value().detach());
  }
  for (const auto& t : source->named_buffers()) mim.emplace_back("module." + t.key(), t.value());
  timm.emplace_back("head.fc.weight", torch::zeros({10, 64}));
  const auto image = torch::randn({1, 3, 64, 64});
  source->eval();
  for (const auto& [name, entries] : {std::pair{std::string("mim"), mim}, std::pair{std::string("timm"), timm}}) {
    torch::manual_seed(2);
    DepthModel target(options);
    const auto untouched = import_state_dict(convert(name, entries), *target);
    target->eval();
    if (name == "mim") {
      EXPECT_TRUE(untouched.empty()) << untouched.front();
      EXPECT_TRUE(torch::allclose(target(image), source(image))) << name;
    } else {  // the encoder's weights only: the decoder and head keep their initialisation
      for (const auto& n : untouched) EXPECT_NE(n.rfind("encoder.", 0), 0u) << n;
      EXPECT_FALSE(untouched.empty());
      const auto expected = source->named_parameters();
      for (const auto& t : target->named_parameters()) {
        if (t.key().rfind("encoder.", 0) != 0) continue;
        EXPECT_TRUE(torch::equal(t.value(), expected[t.key()])) << t.key();
      }
    }
  }
  // A name the script does not know stops it, naming the name.
  save_dict((dir / "odd.pt").string(), {{"layers.0.blocks.0.attn.qkv.weight", torch::zeros({24, 8})},
                                        {"pos_embed", torch::zeros({1})}});
  const auto odd = testing::python_command(DEPTHGUARD_SOURCE_DIR "/scripts/convert_weights.py " + (dir / "odd.pt").string() +
                                           " " + (dir / "odd.pth").string() +
                                           " 2>&1 | grep -q 'pos_embed: no depthguard weight'");
  EXPECT_EQ(std::system(odd.c_str()), 0);
}

}  // namespace
}  // namespace depthguard
