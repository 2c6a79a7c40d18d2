#pragma once
// Checkpoints: everything a run needs to continue bit for bit, in one LibTorch archive.
#include <cstdint>
#include <string>

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

namespace depthguard {

/// Where a run stands. The learning-rate schedule is a function of `step`, the data order
/// of (seed, epoch, batch), so these and the tensors below are the whole state.
struct TrainState {
  int64_t step = 0;             ///< optimiser steps done
  int64_t epoch = 0;            ///< epoch of the next batch
  int64_t batch_in_epoch = 0;   ///< index of the next batch within that epoch
  double best_metric = 0;       ///< best eval abs_rel so far (0: none yet)
  int64_t best_step = -1;
  double lr_scale = 1;          ///< product of the sentinel's rollback factors so far
  int64_t nonfinite_steps = 0;  ///< steps the sentinel skipped or rolled back
  double loss_scale = 0;        ///< loss scaling: the scale (0: the run does not scale)
  int64_t scale_good_steps = 0; ///< loss scaling: good steps since the scale last changed
  std::string config_yaml;      ///< the resolved configuration of the run
};

/// Writes model parameters and buffers, the optimiser state (if any), LibTorch's default
/// CPU generator and `state` to `path`, serialised in memory first and then written with
/// write_file_atomically: `path` always holds either the previous checkpoint or the new
/// one, whatever happens midway. The file is sealed with a checksum (sealed_archive.h). A
/// full disk is a std::runtime_error naming `path` (LibTorch's own file writer aborts the
/// process there). Refuses (throws
/// std::runtime_error naming the tensor) to write a non-finite parameter or buffer.
void save_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer,
                     const TrainState& state);

/// Restores what save_checkpoint wrote into `model` (same architecture) and, when given,
/// `optimizer`, and the generator; returns the state. The tensors load on the CPU, wherever
/// they were saved (a CUDA run's checkpoint loads on a CPU-only machine); move the model
/// and the optimiser state (move_optimizer_state) to the device afterwards. Throws std::runtime_error naming the
/// file when it is missing, truncated, damaged (its checksum does not match; files from
/// before checksums load unchecked) or not a depthguard checkpoint, and naming the tensor
/// when the model does not match (a tensor missing or of another shape).
TrainState load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer);

/// A checkpoint's content in memory (the sentinel's rollback snapshot), and back.
std::string checkpoint_bytes(torch::nn::Module& model, torch::optim::Optimizer* optimizer, const TrainState& state);
TrainState restore_checkpoint_bytes(const std::string& bytes, torch::nn::Module& model,
                                    torch::optim::Optimizer* optimizer);

/// Only the state (with the configuration), to build the model before loading it.
TrainState read_checkpoint_state(const std::string& path);

}  // namespace depthguard
