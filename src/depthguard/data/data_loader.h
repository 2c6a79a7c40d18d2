#pragma once
// A multi-threaded, prefetching, deterministic batch loader over any RgbdDataset.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <torch/types.h>

#include "depthguard/data/loader_options.h"
#include "depthguard/data/rgbd_dataset.h"

namespace depthguard {

struct Batch {
  torch::Tensor image;  ///< [B, 3, H, W] float32, ImageNet-normalised RGB
  torch::Tensor depth;  ///< [B, 1, H, W] float32 metres, 0 where invalid
  torch::Tensor mask;   ///< [B, 1, H, W] bool, depth > 0
  std::vector<std::string> ids;
  std::vector<int64_t> indices;  ///< dataset indices
  /// Whether every value of image and depth is finite: checked in the loader's worker
  /// thread, so the training loop need not read the device to know (Sentinel::expect_inputs).
  bool finite = true;
};

/// The sample order of one epoch for one rank (deterministic in seed and epoch); its
/// length is samples_per_rank(dataset_size, options) whatever the epoch.
std::vector<int64_t> epoch_order(int64_t dataset_size, const LoaderOptions& options, int64_t epoch);
int64_t samples_per_rank(int64_t dataset_size, const LoaderOptions& options);

class DataLoader {
 public:
  DataLoader(std::shared_ptr<const RgbdDataset> dataset, LoaderOptions options);
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  /// Starts (or restarts) loading epoch `epoch` from batch `first_batch` (a resumed run
  /// continues mid-epoch without loading the batches it already used). first_batch =
  /// batches_per_epoch() gives an empty epoch; beyond that throws std::out_of_range.
  void start_epoch(int64_t epoch, int64_t first_batch = 0);
  /// The next batch in order, or nullopt at the end of the epoch. Rethrows a worker's
  /// DataError (policy error) here.
  std::optional<Batch> next();

  int64_t batches_per_epoch() const;
  /// Bad samples skipped so far (policy skip).
  int64_t skipped() const { return skipped_; }

 private:
  struct Slot {
    std::optional<Batch> batch;  // empty when every sample of the batch was skipped
    std::exception_ptr error;
  };
  struct Worker {
    std::thread thread;
    std::deque<Slot> ready;
  };
  void work(int worker, std::vector<int64_t> order, int64_t epoch, int64_t first_batch);
  std::optional<Batch> load(const std::vector<int64_t>& order, int64_t batch, int64_t epoch);
  void stop();

  std::shared_ptr<const RgbdDataset> dataset_;
  LoaderOptions options_;
  std::vector<Worker> workers_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  int64_t next_batch_ = 0, first_batch_ = 0, batches_ = 0;
  std::atomic<int64_t> skipped_{0};
};

}  // namespace depthguard
