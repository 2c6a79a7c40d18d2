// PyTorch state dicts into LibTorch modules by name (--init FILE.pth).
#include "depthguard/train/state_dict_import.h"

#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>
#include <torch/serialize.h>
#include <torch/torch.h>

#include "data/data_test_support.h"
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

// The file Python's own torch.save writes (where Debian's python3-torch is installed).
TEST(StateDictImport, ReadsWhatPythonsTorchSaveWrote) {
  if (std::system("/usr/bin/python3 -c 'import torch' 2>/dev/null") != 0) GTEST_SKIP() << "no python3-torch";
  testing::TempDir dir("state_dict_python");
  const auto file = (dir / "linear.pth").string();
  const auto command = "/usr/bin/python3 -c 'import torch; torch.save({\"weight\": torch.arange(6.).view(2, 3), "
                       "\"bias\": torch.tensor([1., 2.])}, \"" + file + "\")'";
  ASSERT_EQ(std::system(command.c_str()), 0);
  torch::nn::Linear target(3, 2);
  EXPECT_TRUE(import_state_dict(file, *target).empty());
  EXPECT_TRUE(torch::equal(target->weight, torch::arange(6.0, torch::kFloat).view({2, 3})));
}

}  // namespace
}  // namespace depthguard
