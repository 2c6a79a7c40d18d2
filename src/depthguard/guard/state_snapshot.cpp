#include "depthguard/guard/state_snapshot.h"

#include <sstream>
#include <stdexcept>
#include <utility>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>

namespace depthguard {

namespace {

// LibTorch's Module::load takes a stored tensor of another shape without complaint (it
// re-points the parameter), so the shapes are compared here.
void load_model_tensors(torch::serialize::InputArchive& archive, torch::nn::Module& model) {
  std::vector<std::pair<std::string, std::vector<int64_t>>> shapes;
  for (const auto& t : model.named_parameters()) shapes.emplace_back(t.key(), t.value().sizes().vec());
  for (const auto& t : model.named_buffers()) shapes.emplace_back(t.key(), t.value().sizes().vec());
  model.load(archive);
  auto params = model.named_parameters();
  auto buffers = model.named_buffers();
  for (const auto& [name, expected] : shapes) {
    const auto* found = params.find(name);
    const auto& got = (found != nullptr ? *found : buffers[name]).sizes();
    if (got.vec() != expected) {
      throw std::runtime_error("tensor " + name + " has shape " + c10::str(got) + " in the checkpoint, " +
                               c10::str(c10::IntArrayRef(expected)) + " in this model");
    }
  }
}

}  // namespace

void write_training_state(torch::serialize::OutputArchive& archive, torch::nn::Module& model,
                          torch::optim::Optimizer* optimizer) {
  torch::serialize::OutputArchive model_archive;
  model.save(model_archive);
  archive.write("model", model_archive);
  if (optimizer != nullptr) {
    torch::serialize::OutputArchive optimizer_archive;
    optimizer->save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);
  }
  archive.write("generator", at::detail::getDefaultCPUGenerator().get_state());
}

void read_training_state(torch::serialize::InputArchive& archive, torch::nn::Module& model,
                         torch::optim::Optimizer* optimizer) {
  torch::serialize::InputArchive model_archive;
  archive.read("model", model_archive);
  load_model_tensors(model_archive, model);
  if (optimizer != nullptr) {
    torch::serialize::InputArchive optimizer_archive;
    archive.read("optimizer", optimizer_archive);
    optimizer->load(optimizer_archive);
  }
  torch::Tensor generator;
  archive.read("generator", generator);
  at::Generator cpu = at::detail::getDefaultCPUGenerator();  // a handle on the global one
  cpu.set_state(generator);
}

void StateSnapshot::take(torch::nn::Module& model, torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive archive;
  write_training_state(archive, model, &optimizer);
  std::ostringstream out;
  archive.save_to(out);
  bytes_ = out.str();
}

void StateSnapshot::restore(torch::nn::Module& model, torch::optim::Optimizer& optimizer) const {
  if (bytes_.empty()) throw std::logic_error("StateSnapshot::restore: no snapshot was taken");
  std::istringstream in(bytes_);
  torch::serialize::InputArchive archive;
  archive.load_from(in);
  read_training_state(archive, model, &optimizer);
}

}  // namespace depthguard
