#pragma once
// The options of the batch loader (what config reads); the loader is data/data_loader.h.
#include <cstdint>
#include <optional>

#include <torch/arg.h>

#include "depthguard/core/choice.h"
#include "depthguard/data/augment_options.h"

namespace depthguard {

enum class BadSamplePolicy {
  Error,  ///< the first bad sample stops loading with its DataError
  Skip,   ///< a bad sample is logged, counted and left out of its batch
};
const ChoiceTable<BadSamplePolicy>& bad_sample_policy_choices();

struct LoaderOptions {
  TORCH_ARG(int64_t, batch_size) = 8;
  TORCH_ARG(bool, shuffle) = true;
  TORCH_ARG(uint64_t, seed) = 0;
  /// Worker threads; each prepares whole batches.
  TORCH_ARG(int, workers) = 1;
  /// Batches each worker may hold ready: memory is bounded by workers * prefetch batches.
  TORCH_ARG(int, prefetch) = 2;
  /// Drop the last, incomplete batch of an epoch.
  TORCH_ARG(bool, drop_last) = true;
  /// Sharding for distributed training: this process sees every world_size-th sample of
  /// the epoch's order, starting at rank (the order padded by repetition to a multiple
  /// of world_size, so every rank has the same number of batches).
  TORCH_ARG(int64_t, rank) = 0;
  TORCH_ARG(int64_t, world_size) = 1;
  TORCH_ARG(BadSamplePolicy, on_bad_sample) = BadSamplePolicy::Error;
  /// Batches in page-locked memory, for asynchronous copies to a GPU (the trainer sets it
  /// when it trains on CUDA; needs a CUDA build of LibTorch).
  TORCH_ARG(bool, pin_memory) = false;
  /// Augmentation; off (identity) when not set.
  TORCH_ARG(std::optional<AugmentOptions>, augment) = std::nullopt;
};

}  // namespace depthguard
