#include "depthguard/guard/step_conditions.h"

#include <stdexcept>
#include <vector>

#include <ATen/Parallel.h>
#include <torch/csrc/jit/serialization/pickle.h>

namespace depthguard {

std::string StepConditions::bytes() const {
  c10::List<at::Tensor> states;
  if (generators) {
    for (const auto& t : generators->tensors()) states.push_back(t);
  }
  const auto data = torch::jit::pickle_save(c10::ivalue::Tuple::create({c10::IValue(intra_op_threads), states}));
  return std::string(data.begin(), data.end());
}

StepConditions StepConditions::from_bytes(const std::string& bytes) {
  StepConditions c;
  try {
    const auto value = torch::jit::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
    const auto& fields = value.toTupleRef().elements();
    if (fields.size() != 2) throw std::runtime_error("expected 2 fields");
    c.intra_op_threads = fields[0].toInt();
    const auto states = fields[1].toTensorVector();
    if (!states.empty()) c.generators = GeneratorStates::from_tensors(states);
  } catch (const c10::Error& e) {
    throw std::runtime_error(std::string("not a step's conditions: ") + e.what_without_backtrace());
  }
  return c;
}

ReplayConditions::ReplayConditions(const StepConditions& conditions, int64_t threads)
    : conditions_(conditions), previous_threads_(at::get_num_threads()) {
  const auto wanted = threads > 0 ? threads : conditions.intra_op_threads;
  if (wanted > 0 && wanted != previous_threads_) at::set_num_threads(static_cast<int>(wanted));
}

ReplayConditions::~ReplayConditions() {
  if (at::get_num_threads() != previous_threads_) at::set_num_threads(previous_threads_);
}

void ReplayConditions::restart() const {
  if (conditions_.generators) conditions_.generators->restore();
}

int64_t ReplayConditions::threads() const { return at::get_num_threads(); }

}  // namespace depthguard
