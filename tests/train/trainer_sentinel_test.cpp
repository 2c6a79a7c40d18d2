// The NaN sentinel inside the trainer: every injection site is caught and handled by each
// policy; a healthy run sees no event.
#include <atomic>
#include <filesystem>
#include <fstream>

#include <ATen/record_function.h>

#include <nlohmann/json.hpp>

#include "data/data_test_support.h"
#include "depthguard/guard/finite_check.h"
#include "depthguard/models/depth_model.h"
#include "depthguard/train/checkpoint.h"
#include "depthguard/train/trainer.h"
#include "test_support.h"
#include "train/tiny_run.h"

namespace depthguard {
namespace {

using testing::quiet;

TrainConfig injected(const std::string& site, const std::string& policy, int64_t steps = 6) {
  auto root = testing::tiny_run(steps);
  root["guard"]["inject"] = site;
  root["guard"]["inject_step"] = 2;
  root["guard"]["policy"] = policy;
  root["guard"]["snapshot_interval"] = 1;
  return read_train_config(root);
}

std::vector<nlohmann::json> events(const std::string& run) {
  std::ifstream in(std::filesystem::path(run) / "metrics.jsonl");
  std::vector<nlohmann::json> out;
  std::string line;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    if (j.contains("nonfinite")) out.push_back(j["nonfinite"]);
  }
  return out;
}

bool checkpoint_is_finite(const std::string& path) {
  DepthModel model(ModelOptions().width(4));
  load_checkpoint(path, *model, nullptr);
  return all_finite(model->parameters());
}

// Operators on this thread that make the host wait for a device: a scalar read (.item()) and
// those whose output size depends on the values.
std::atomic<int64_t> host_waits{0};

std::unique_ptr<at::ObserverContext> count_host_wait(const at::RecordFunction& fn) {
  const std::string name = fn.name();
  if (name == "aten::_local_scalar_dense" || name == "aten::nonzero" || name == "aten::masked_select" ||
      name == "aten::_unique2") {
    ++host_waits;
  }
  return nullptr;
}

// Counts host_waits while alive (thread-local: the loader's threads stay out).
struct HostWaitCounter {
  HostWaitCounter() { host_waits = 0; }
  ~HostWaitCounter() { at::removeCallback(handle); }
  at::CallbackHandle handle =
      at::addThreadLocalCallback(at::RecordFunctionCallback(count_host_wait).scopes({at::RecordScope::FUNCTION}));
};

// The sentinel's device reads and the host waits of a healthy run of `steps` on `device`.
std::pair<int64_t, int64_t> reads_and_waits(int64_t steps, const std::string& device) {
  testing::TempDir dir("sentinel_reads_" + std::to_string(steps));
  auto root = testing::tiny_run(steps);
  root["train"]["device"] = device;
  root["train"]["log_interval"] = 1000;
  root["train"]["checkpoint_interval"] = 0;
  root["eval"]["interval"] = 0;
  root["guard"]["snapshot_interval"] = 1000;
  const auto config = read_train_config(root);
  const HostWaitCounter counter;
  const auto s = train(config, quiet(dir.str()));
  return {s.device_reads, host_waits.load()};
}

// Two runs that differ only in their number of steps: the difference is what steps cost. On
// a GPU each read waits for the device; a step has one (the sentinel's) and nothing else.
TEST(TrainerSentinel, AHealthyStepReadsTheDeviceOnceAndWaitsForNothingElse) {
  const auto [reads4, waits4] = reads_and_waits(4, "cpu");
  const auto [reads9, waits9] = reads_and_waits(9, "cpu");
  EXPECT_EQ(reads9 - reads4, 5);
  EXPECT_GT(waits4, 0) << "the counter sees .item() (the evaluation at the end has some)";
  EXPECT_EQ(waits9, waits4);
}

TEST(TrainerSentinel, AHealthyCudaStepReadsTheDeviceOnceAndWaitsForNothingElse) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const auto [reads4, waits4] = reads_and_waits(4, "cuda");
  const auto [reads9, waits9] = reads_and_waits(9, "cuda");
  EXPECT_EQ(reads9 - reads4, 5);
  EXPECT_EQ(waits9, waits4);
}

TEST(TrainerSentinel, HealthyRunHasNoEvent) {
  testing::TempDir dir("sentinel_healthy");
  const auto s = train(read_train_config(testing::tiny_run(6)), quiet(dir.str()));
  EXPECT_EQ(s.nonfinite_steps, 0);
  EXPECT_TRUE(events(dir.str()).empty());
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(dir.str()) / "forensics"));
}

// Every injection site under every policy: caught at the right stage, classified as
// injected with a report and bundle, handled by the policy, and no non-finite checkpoint.
TEST(TrainerSentinel, EverySiteUnderEveryPolicy) {
  const std::pair<const char*, const char*> sites[] = {
      {"image", "input"}, {"depth", "input"}, {"loss", "loss"}, {"gradient", "gradient"}, {"weight", "weight"}};
  for (const auto& [site, stage] : sites) {
    for (const std::string policy : {"skip", "rollback", "halt"}) {
      const auto what = std::string(site) + " under " + policy;
      testing::TempDir dir("sentinel_" + std::string(site) + "_" + policy);
      auto config = injected(site, policy);
      config.train.checkpoint_interval = 1;
      if (policy == "halt") {
        const auto message = testing::error_message<NonFiniteHalt>([&] { train(config, quiet(dir.str())); });
        EXPECT_NE(message.find("step 2: non-finite " + std::string(stage)), std::string::npos) << what << message;
        EXPECT_NE(message.find("cause injected"), std::string::npos) << what << message;
        EXPECT_EQ(read_checkpoint_state(last_checkpoint(dir.str())).step, 2) << what;
      } else {
        const auto s = train(config, quiet(dir.str()));
        EXPECT_EQ(s.steps, 6) << what;
        EXPECT_EQ(s.nonfinite_steps, 1) << what;
      }
      const auto e = events(dir.str());
      ASSERT_EQ(e.size(), 1u) << what;
      EXPECT_EQ(e[0]["stage"], stage) << what;
      EXPECT_EQ(e[0]["samples"].size(), 2u) << what;
      const bool restores = policy == "rollback" || (policy == "skip" && std::string(stage) == "weight");
      EXPECT_EQ(e[0]["action"], policy == "halt" ? "halt" : restores ? "rollback" : "skip") << what;
      EXPECT_EQ(e[0]["cause"], "injected") << what;
      const auto report = std::filesystem::path(e[0]["report"].get<std::string>()) / "report.json";
      std::ifstream in(report);
      EXPECT_EQ(nlohmann::json::parse(in)["injected"], std::string(site) + ":nan") << what;
      EXPECT_TRUE(checkpoint_is_finite(last_checkpoint(dir.str()))) << what;
    }
  }
}

// guard.policy auto, the default (no policy key): a fault the batch carries is skipped, one
// in the weights rolled back with the learning-rate backoff, a cause that persists in the
// weights rolled back until it has come back max_skips times, then halted.
TEST(TrainerSentinel, AutoActsOnTheCause) {
  auto config_for = [](const std::string& site) {
    auto root = testing::tiny_run(6);
    root["guard"]["inject"] = site;
    root["guard"]["inject_step"] = 2;
    root["guard"]["snapshot_interval"] = 1;
    return read_train_config(root);
  };
  EXPECT_EQ(config_for("loss").guard.policy(), GuardPolicy::Auto);
  struct Case {
    const char* site;
    const char* action;
    const char* reason;
    double lr_scale;
  };
  for (const auto& c : {Case{"loss", "skip", "injected is the batch's", 1.0},
                        Case{"weight", "rollback", "the update made the weights non-finite", 0.5}}) {
    testing::TempDir dir(std::string("sentinel_auto_") + c.site);
    EXPECT_EQ(train(config_for(c.site), quiet(dir.str())).steps, 6) << c.site;
    const auto e = events(dir.str());
    ASSERT_EQ(e.size(), 1u) << c.site;
    EXPECT_EQ(e[0]["action"], c.action);
    EXPECT_EQ(e[0]["reason"], c.reason);
    EXPECT_EQ(read_checkpoint_state(last_checkpoint(dir.str())).lr_scale, c.lr_scale) << c.site;
  }
  {
    testing::TempDir dir("sentinel_auto_v2");
    auto root = testing::tiny_run(6);
    root["model"]["head"] = "naive";
    root["model"]["head_bias"] = -100.0;  // saturated from the start: no snapshot is good
    const auto message =
        testing::error_message<NonFiniteHalt>([&] { train(read_train_config(root), quiet(dir.str())); });
    EXPECT_NE(message.find("policy auto, 6 non-finite step(s) in a row"), std::string::npos) << message;
    const auto e = events(dir.str());
    ASSERT_EQ(e.size(), 6u);
    EXPECT_EQ(e[0]["action"], "rollback");
    EXPECT_EQ(e[0]["reason"], "v2_log_sigmoid persists in the weights");
    EXPECT_EQ(e[1]["reason"], "a non-finite value came back on the next batch");
    EXPECT_EQ(e[5]["action"], "halt");
  }
}

TEST(TrainerSentinel, ForensicsCanBeTurnedOff) {
  testing::TempDir dir("sentinel_no_forensics");
  auto config = injected("gradient", "skip");
  config.guard.forensics(false);
  EXPECT_EQ(train(config, quiet(dir.str())).nonfinite_steps, 1);
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(dir.str()) / "forensics"));
  EXPECT_FALSE(events(dir.str())[0].contains("cause"));
}

TEST(TrainerSentinel, HaltStopsNamingStepStageAndKeepsNoNonFiniteCheckpoint) {
  testing::TempDir dir("sentinel_halt");
  auto config = injected("gradient", "halt");
  config.train.checkpoint_interval = 1;
  const auto message = testing::error_message<NonFiniteHalt>([&] { train(config, quiet(dir.str())); });
  EXPECT_NE(message.find("step 2: non-finite gradient"), std::string::npos) << message;
  EXPECT_NE(message.find("policy halt"), std::string::npos) << message;
  EXPECT_EQ(read_checkpoint_state(last_checkpoint(dir.str())).step, 2);
  EXPECT_TRUE(checkpoint_is_finite(last_checkpoint(dir.str())));
}

TEST(TrainerSentinel, RollbackRestoresTheSnapshotAndLowersTheLearningRate) {
  testing::TempDir dir("sentinel_rollback");
  const auto s = train(injected("weight", "rollback"), quiet(dir.str()));
  EXPECT_EQ(s.steps, 6);
  EXPECT_EQ(s.nonfinite_steps, 1);
  EXPECT_EQ(events(dir.str())[0]["action"], "rollback");
  EXPECT_EQ(read_checkpoint_state(last_checkpoint(dir.str())).lr_scale, 0.5);
  EXPECT_TRUE(checkpoint_is_finite(last_checkpoint(dir.str())));
}

TEST(TrainerSentinel, SkipHaltsWhenTheBoundOfStepsInARowIsPassed) {
  testing::TempDir dir("sentinel_bound");
  auto config = injected("image", "skip");
  config.guard.max_skips(0);  // no non-finite step tolerated
  const auto message = testing::error_message<NonFiniteHalt>([&] { train(config, quiet(dir.str())); });
  EXPECT_NE(message.find("step 2: non-finite input"), std::string::npos) << message;
  EXPECT_NE(message.find("1 non-finite step(s) in a row"), std::string::npos) << message;
}

}  // namespace
}  // namespace depthguard
