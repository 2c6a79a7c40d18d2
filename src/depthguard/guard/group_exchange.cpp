#include "depthguard/guard/group_exchange.h"

#include <algorithm>
#include <cstring>

#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/Work.hpp>
#include <torch/torch.h>

namespace depthguard {

namespace {

// One value per rank, each rank's in its slot, the others zero: max fills every slot.
std::vector<int64_t> slot_values(c10d::ProcessGroup& group, int64_t value, c10::Device device) {
  auto slots = torch::zeros({group.getSize()}, torch::TensorOptions(torch::kLong).device(device));
  slots[group.getRank()] = value;
  std::vector<torch::Tensor> tensors{slots};
  c10d::AllreduceOptions options;
  options.reduceOp = c10d::ReduceOp::MAX;
  wait_for(group.allreduce(tensors, options));
  const auto seen = slots.cpu();
  const auto* values = seen.data_ptr<int64_t>();
  return {values, values + seen.numel()};
}

}  // namespace

void wait_for(const c10::intrusive_ptr<c10d::Work>& work) {
  collective([&] { return work->wait(); });
}

std::vector<int64_t> exchange_flags(c10d::ProcessGroup& group, int64_t flags, c10::Device device) {
  TORCH_CHECK(flags >= 0, "exchange_flags: flags must be >= 0, got ", flags);
  return slot_values(group, flags, device);
}

std::vector<std::string> exchange_texts(c10d::ProcessGroup& group, const std::string& text, c10::Device device) {
  const auto lengths = slot_values(group, static_cast<int64_t>(text.size()), device);
  const int64_t longest = std::max<int64_t>(1, *std::max_element(lengths.begin(), lengths.end()));
  auto mine = torch::zeros({longest}, torch::kUInt8);
  std::memcpy(mine.data_ptr<uint8_t>(), text.data(), text.size());
  std::vector<torch::Tensor> inputs{mine.to(device)};
  std::vector<std::vector<torch::Tensor>> outputs(1);
  for (int64_t r = 0; r < group.getSize(); ++r) outputs[0].push_back(torch::empty_like(inputs[0]));
  wait_for(group.allgather(outputs, inputs));
  std::vector<std::string> texts;
  for (size_t r = 0; r < lengths.size(); ++r) {
    const auto bytes = outputs[0][r].cpu();
    texts.emplace_back(reinterpret_cast<const char*>(bytes.data_ptr<uint8_t>()), static_cast<size_t>(lengths[r]));
  }
  return texts;
}

}  // namespace depthguard
