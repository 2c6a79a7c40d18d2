#pragma once
// Weights from PyTorch: a state dict (a dict of name -> tensor, written by Python's
// torch.save) into a LibTorch module, by name. scripts/convert_weights.py writes such a file
// from timm's, SimMIM's or MIM's checkpoints with depthguard's names (`--init FILE.pth`).
#include <string>
#include <vector>

#include <torch/nn/module.h>

namespace depthguard {

/// Loads the state dict at `path` into `module`: every entry, its name without `prefix`
/// (each name must start with it), goes to the parameter or buffer of that name. Returns the
/// names of the module's parameters it did not set (left as they were, e.g. a decoder when
/// only an encoder was pretrained). Throws std::runtime_error naming the file when it is
/// missing or not a dict of tensors written by torch.save, and naming the entry when its
/// name lacks the prefix, the module has no tensor of that name, or the shapes differ.
std::vector<std::string> import_state_dict(const std::string& path, torch::nn::Module& module,
                                           const std::string& prefix = "");

/// Whether `path` names a PyTorch state dict for import_state_dict rather than a depthguard
/// checkpoint: by PyTorch's convention, a .pth file.
bool is_state_dict_file(const std::string& path);

}  // namespace depthguard
