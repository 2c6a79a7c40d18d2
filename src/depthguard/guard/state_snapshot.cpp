#include "depthguard/guard/state_snapshot.h"

#include <sstream>
#include <stdexcept>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/serialize/archive.h>

namespace depthguard {

void StateSnapshot::take(torch::nn::Module& model, torch::optim::Optimizer& optimizer, int64_t step) {
  torch::serialize::OutputArchive archive, model_archive, optimizer_archive;
  model.save(model_archive);
  optimizer.save(optimizer_archive);
  archive.write("model", model_archive);
  archive.write("optimizer", optimizer_archive);
  archive.write("generator", at::detail::getDefaultCPUGenerator().get_state());
  std::ostringstream out;
  archive.save_to(out);
  bytes_ = out.str();
  step_ = step;
}

int64_t StateSnapshot::restore(torch::nn::Module& model, torch::optim::Optimizer& optimizer) const {
  if (bytes_.empty()) throw std::logic_error("StateSnapshot::restore: no snapshot was taken");
  std::istringstream in(bytes_);
  torch::serialize::InputArchive archive, model_archive, optimizer_archive;
  archive.load_from(in);
  archive.read("model", model_archive);
  archive.read("optimizer", optimizer_archive);
  model.load(model_archive);
  optimizer.load(optimizer_archive);
  torch::Tensor generator;
  archive.read("generator", generator);
  at::Generator cpu = at::detail::getDefaultCPUGenerator();  // a handle on the global one
  cpu.set_state(generator);
  return step_;
}

}  // namespace depthguard
