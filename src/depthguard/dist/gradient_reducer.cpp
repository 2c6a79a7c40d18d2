#include "depthguard/dist/gradient_reducer.h"

#include <chrono>

#include <torch/torch.h>

namespace depthguard {

GradientReducer::GradientReducer(ProcessGroup& group, std::vector<torch::Tensor> parameters, int64_t bucket_bytes)
    : group_(group) {
  TORCH_CHECK(bucket_bytes > 0, "GradientReducer: bucket_bytes must be > 0, got ", bucket_bytes);
  for (auto& p : parameters) {
    if (p.requires_grad()) parameters_.push_back(p);
  }
  bucket_of_.resize(parameters_.size());
  slot_of_.resize(parameters_.size());
  arrived_.assign(parameters_.size(), false);
  // Reverse order: the last layers' gradients come first in backward.
  int64_t bytes = 0;
  for (size_t k = parameters_.size(); k-- > 0;) {
    const int64_t size = parameters_[k].numel() * static_cast<int64_t>(sizeof(float));
    if (buckets_.empty() || bytes + size > bucket_bytes) {
      buckets_.emplace_back();
      bytes = 0;
    }
    auto& bucket = buckets_.back();
    bucket.offsets.push_back(bucket.members.empty() ? 0 : bucket.offsets.back() +
                                                            parameters_[bucket.members.back()].numel());
    slot_of_[k] = bucket.members.size();
    bucket.members.push_back(k);
    bucket_of_[k] = buckets_.size() - 1;
    bytes += size;
  }
  for (auto& bucket : buckets_) {
    const auto last = bucket.members.back();
    bucket.flat = torch::zeros({bucket.offsets.back() + parameters_[last].numel()},
                               parameters_[last].options().dtype(torch::kFloat));
  }
  for (size_t k = 0; k < parameters_.size(); ++k) {
    hooks_.push_back(parameters_[k].register_hook([this, k](const torch::Tensor& gradient) {
      on_gradient(k, gradient);
    }));
  }
}

GradientReducer::~GradientReducer() {
  for (size_t k = 0; k < hooks_.size(); ++k) parameters_[k].remove_hook(hooks_[k]);
}

void GradientReducer::on_gradient(size_t parameter, const torch::Tensor& gradient) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& bucket = buckets_[bucket_of_[parameter]];
  const size_t slot = slot_of_[parameter];
  // reshape(-1) flattens in logical order, whatever the gradient's memory format.
  bucket.flat.narrow(0, bucket.offsets[slot], gradient.numel()).copy_(gradient.reshape(-1));
  if (!arrived_[parameter]) {
    arrived_[parameter] = true;
    if (++bucket.ready == bucket.members.size()) start(bucket);
  }
}

void GradientReducer::start(Bucket& bucket) {
  std::vector<torch::Tensor> tensors{bucket.flat};
  bucket.work = group_.sum_async(tensors);
}

void GradientReducer::finish() {
  torch::NoGradGuard no_grad;
  for (auto& bucket : buckets_) {
    if (!bucket.work) {  // some member had no gradient this step: it contributes zeros
      for (size_t slot = 0; slot < bucket.members.size(); ++slot) {
        if (arrived_[bucket.members[slot]]) continue;
        bucket.flat.narrow(0, bucket.offsets[slot], parameters_[bucket.members[slot]].numel()).zero_();
      }
      start(bucket);
    }
  }
  const double ranks = static_cast<double>(group_.size());
  for (auto& bucket : buckets_) {
    const auto start = std::chrono::steady_clock::now();
    wait_for(bucket.work);
    wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    bucket.work.reset();
    bucket.ready = 0;
    bucket.flat.div_(ranks);
    for (size_t slot = 0; slot < bucket.members.size(); ++slot) {
      auto& p = parameters_[bucket.members[slot]];
      const auto mean = bucket.flat.narrow(0, bucket.offsets[slot], p.numel()).view(p.sizes());
      if (p.grad().defined()) {
        p.mutable_grad().copy_(mean);
      } else {
        p.mutable_grad() = mean.clone().contiguous(p.suggest_memory_format());
      }
      arrived_[bucket.members[slot]] = false;
    }
  }
}

}  // namespace depthguard
