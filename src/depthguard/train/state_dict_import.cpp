#include "depthguard/train/state_dict_import.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <stdexcept>

#include <torch/serialize.h>
#include <torch/torch.h>

namespace depthguard {

namespace {

c10::IValue read_pickle(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open the state dict");
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  try {
    return torch::pickle_load(bytes);
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": not a state dict written by torch.save (" + e.what_without_backtrace() + ")");
  }
}

}  // namespace

std::vector<std::string> import_state_dict(const std::string& path, torch::nn::Module& module,
                                           const std::string& prefix) {
  const auto loaded = read_pickle(path);
  if (!loaded.isGenericDict()) throw std::runtime_error(path + ": holds a " + loaded.tagKind() + ", not a dict of tensors");
  auto params = module.named_parameters();
  auto buffers = module.named_buffers();
  std::set<std::string> set;
  torch::NoGradGuard no_grad;
  for (const auto& entry : loaded.toGenericDict()) {
    if (!entry.key().isString() || !entry.value().isTensor()) {
      throw std::runtime_error(path + ": an entry is not a name and a tensor");
    }
    const auto name = entry.key().toStringRef();
    if (name.rfind(prefix, 0) != 0) throw std::runtime_error(path + ": entry " + name + " does not start with " + prefix);
    const auto local = name.substr(prefix.size());
    torch::Tensor* target = params.find(local);
    if (target == nullptr) target = buffers.find(local);
    if (target == nullptr) throw std::runtime_error(path + ": entry " + name + " has no tensor of that name in the model");
    const auto value = entry.value().toTensor();
    if (value.sizes() != target->sizes()) {
      throw std::runtime_error(path + ": entry " + name + " has shape " + c10::str(value.sizes()) + ", the model's " +
                               c10::str(target->sizes()));
    }
    target->copy_(value);
    set.insert(local);
  }
  std::vector<std::string> untouched;
  for (const auto& p : params) {
    if (set.count(p.key()) == 0) untouched.push_back(p.key());
  }
  return untouched;
}

bool is_state_dict_file(const std::string& path) { return std::filesystem::path(path).extension() == ".pth"; }

}  // namespace depthguard
