#include "depthguard/data/data_loader.h"

#include <numeric>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

#include "depthguard/core/errors.h"
#include "depthguard/data/augment.h"
#include "depthguard/data/image_tensor.h"
#include "depthguard/data/random.h"
#include "depthguard/data/read_sample.h"
#include "depthguard/guard/finite_check.h"

namespace depthguard {

const ChoiceTable<BadSamplePolicy>& bad_sample_policy_choices() {
  static const ChoiceTable<BadSamplePolicy> table{{"error", BadSamplePolicy::Error},
                                                  {"skip", BadSamplePolicy::Skip}};
  return table;
}

namespace {

// Purposes of the random streams, so no two uses share one.
constexpr uint64_t kShuffleStream = 3, kAugmentStream = 4;

void check_at_least_one(const char* option, int64_t value) {
  if (value < 1) {
    throw InvalidArgument(std::string("LoaderOptions: ") + option + " must be >= 1, got " + std::to_string(value));
  }
}

void validate(const LoaderOptions& o) {
  check_at_least_one("batch_size", o.batch_size());
  check_at_least_one("workers", o.workers());
  check_at_least_one("prefetch", o.prefetch());
  if (o.world_size() < 1 || o.rank() < 0 || o.rank() >= o.world_size()) {
    throw InvalidArgument("LoaderOptions: need 0 <= rank < world_size, got rank " + std::to_string(o.rank()) +
                          ", world_size " + std::to_string(o.world_size()));
  }
}

}  // namespace

std::vector<int64_t> epoch_order(int64_t n, const LoaderOptions& o, int64_t epoch) {
  std::vector<int64_t> all(static_cast<size_t>(n));
  std::iota(all.begin(), all.end(), 0);
  if (o.shuffle()) {
    // Fisher-Yates with the portable stream (std::shuffle's result is library-defined).
    Random rng({o.seed(), kShuffleStream, static_cast<uint64_t>(epoch)});
    for (int64_t i = n - 1; i > 0; --i) std::swap(all[i], all[rng.integer(0, i)]);
  }
  std::vector<int64_t> mine;
  for (int64_t k = 0; k < samples_per_rank(n, o); ++k) mine.push_back(all[(k * o.world_size() + o.rank()) % n]);
  return mine;
}

int64_t samples_per_rank(int64_t n, const LoaderOptions& o) { return (n + o.world_size() - 1) / o.world_size(); }

DataLoader::DataLoader(std::shared_ptr<const RgbdDataset> dataset, LoaderOptions options)
    : dataset_(std::move(dataset)), options_(std::move(options)) {
  validate(options_);
}

DataLoader::~DataLoader() { stop(); }

int64_t DataLoader::batches_per_epoch() const {
  const auto n = samples_per_rank(dataset_->size(), options_);
  return options_.drop_last() ? n / options_.batch_size() : (n + options_.batch_size() - 1) / options_.batch_size();
}

void DataLoader::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (auto& w : workers_) {
    if (w.thread.joinable()) w.thread.join();
  }
  workers_.clear();
  stopping_ = false;
}

void DataLoader::start_epoch(int64_t epoch, int64_t first_batch) {
  stop();
  auto order = epoch_order(dataset_->size(), options_, epoch);
  batches_ = batches_per_epoch();
  if (first_batch < 0 || first_batch > batches_) {
    throw std::out_of_range("DataLoader: batch " + std::to_string(first_batch) + " of an epoch of " +
                            std::to_string(batches_));
  }
  next_batch_ = first_batch_ = first_batch;
  workers_ = std::vector<Worker>(static_cast<size_t>(options_.workers()));
  for (int w = 0; w < options_.workers(); ++w) {
    workers_[w].thread = std::thread(&DataLoader::work, this, w, order, epoch, first_batch);
  }
}

void DataLoader::work(int worker, std::vector<int64_t> order, int64_t epoch, int64_t first_batch) {
  // Worker w makes batches first + w, first + w + workers, ...; next() reads them back in
  // order (batch b from worker (b - first) % workers).
  for (int64_t b = first_batch + worker; b < batches_; b += options_.workers()) {
    Slot slot;
    try {
      slot.batch = load(order, b, epoch);
    } catch (...) {
      slot.error = std::current_exception();
    }
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return stopping_ || workers_[worker].ready.size() < size_t(options_.prefetch()); });
    if (stopping_) return;
    const bool failed = slot.error != nullptr;
    workers_[worker].ready.push_back(std::move(slot));
    changed_.notify_all();
    if (failed) return;
  }
}

std::optional<Batch> DataLoader::load(const std::vector<int64_t>& order, int64_t b, int64_t epoch) {
  const int64_t first = b * options_.batch_size();
  const int64_t last = std::min<int64_t>(first + options_.batch_size(), static_cast<int64_t>(order.size()));
  std::vector<RgbdSample> samples;
  Batch batch;
  for (int64_t k = first; k < last; ++k) {
    const int64_t index = order[k];
    auto read = read_sample(*dataset_, index, options_.on_bad_sample());
    if (!read) {
      ++skipped_;
      continue;
    }
    RgbdSample s = std::move(*read);
    if (options_.augment()) {
      Random rng({options_.seed(), kAugmentStream, static_cast<uint64_t>(epoch), static_cast<uint64_t>(index)});
      s = augment(s, rng, *options_.augment());
    }
    if (!samples.empty() && s.rgb.size() != samples.front().rgb.size()) {
      // A property of the dataset, not a bad option value: not a bad sample.
      throw std::runtime_error("samples of one batch differ in size (" + samples.front().id + " vs " + s.id +
                               "): set a crop (the augmentation's crop_height and crop_width)");
    }
    samples.push_back(std::move(s));
    batch.indices.push_back(index);
  }
  if (samples.empty()) return std::nullopt;
  const auto n = static_cast<int64_t>(samples.size());
  const int h = samples[0].rgb.rows, w = samples[0].rgb.cols;
  const auto memory = torch::TensorOptions().pinned_memory(options_.pin_memory());
  batch.image = torch::empty({n, 3, h, w}, memory);
  batch.depth = torch::empty({n, 1, h, w}, memory);
  for (int64_t i = 0; i < n; ++i) {
    write_image_planes(samples[i].rgb, batch.image[i].data_ptr<float>());
    batch.depth[i][0].copy_(depth_view(samples[i].depth));
    batch.ids.push_back(samples[i].id);
  }
  batch.mask = batch.depth > 0;
  batch.finite = all_finite({batch.image, batch.depth});
  return batch;
}

std::optional<Batch> DataLoader::next() {
  while (next_batch_ < batches_) {
    auto& worker = workers_[static_cast<size_t>((next_batch_ - first_batch_) % options_.workers())];
    Slot slot;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] { return !worker.ready.empty(); });
      slot = std::move(worker.ready.front());
      worker.ready.pop_front();
    }
    changed_.notify_all();
    ++next_batch_;
    if (slot.error) std::rethrow_exception(slot.error);
    if (slot.batch) return std::move(slot.batch);
  }
  return std::nullopt;
}

}  // namespace depthguard
