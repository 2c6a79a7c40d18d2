#include "depthguard/study/run_result.h"

#include <algorithm>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "depthguard/core/exit_codes.h"
#include "depthguard/train/checkpoint.h"

namespace depthguard {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json read_json(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path.string() + ": not found");
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    throw std::runtime_error(path.string() + ": not valid JSON: " + e.what());
  }
}

// The metric fields of a JSON object that may hold other keys too (eval.json's counts).
DepthMetrics metrics_of(const json& j) {
  std::vector<std::pair<std::string, double>> fields;
  for (const auto& [name, value] : metric_fields(DepthMetrics())) fields.emplace_back(name, j.at(name).get<double>());
  return metrics_from_fields(fields);
}

json metrics_json(const DepthMetrics& m) {
  json j;
  for (const auto& [name, value] : metric_fields(m)) j[name] = value;
  return j;
}

// The first forensics report of the run, if any.
std::optional<json> forensics_report(const fs::path& run_dir) {
  const auto dir = run_dir / "forensics";
  if (!fs::is_directory(dir)) return std::nullopt;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (fs::is_regular_file(e.path() / "report.json")) return read_json(e.path() / "report.json");
  }
  return std::nullopt;
}

}  // namespace

RunResult collect_result(const StudyRun& run, const std::string& run_dir, int code, double seconds) {
  RunResult r;
  r.run = run;
  r.seconds = seconds;
  const fs::path dir(run_dir);
  if (code == exit_code::kOk) {
    const auto summary = read_json(dir / "summary.json");
    r.status = "completed";
    r.steps = summary.at("steps").get<int64_t>();
    if (summary.contains("final_eval") && summary["final_eval"].is_object()) {
      r.metrics = metrics_of(summary["final_eval"]);
      r.metrics_from = "final";
    }
  } else if (code == exit_code::kNonFinite) {
    r.status = "halted";
    if (fs::exists(dir / "eval.json")) {
      const auto eval = read_json(dir / "eval.json");
      r.metrics = metrics_of(eval.at("model"));
      const auto checkpoint = eval.at("checkpoint").get<std::string>();
      r.metrics_from = fmt::format("last good checkpoint (step {})", read_checkpoint_state(checkpoint).step);
    }
  } else {
    r.status = "failed";
  }
  if (const auto report = forensics_report(dir)) {
    r.nonfinite_step = report->at("step").get<int64_t>();
    r.stage = report->at("stage").get<std::string>();
    r.cause = report->at("cause").get<std::string>();
    for (const auto& spike : report->value("spikes", json::array())) {
      const auto lead = *r.nonfinite_step - spike.at("step").get<int64_t>();
      r.spike_lead = r.spike_lead ? std::max(*r.spike_lead, lead) : lead;
    }
    if (r.status == "halted") r.steps = *r.nonfinite_step;
  }
  return r;
}

std::string result_json(const RunResult& r) {
  json j{{"variant", r.run.variant}, {"stress", r.run.stress}, {"seed", r.run.seed}, {"id", r.run.id},
         {"status", r.status},       {"steps", r.steps},        {"stage", r.stage},   {"cause", r.cause},
         {"metrics_from", r.metrics_from}, {"seconds", r.seconds}};
  j["nonfinite_step"] = r.nonfinite_step ? json(*r.nonfinite_step) : json(nullptr);
  j["spike_lead"] = r.spike_lead ? json(*r.spike_lead) : json(nullptr);
  j["metrics"] = r.metrics ? metrics_json(*r.metrics) : json(nullptr);
  return j.dump(2);
}

RunResult read_result(const std::string& path) {
  const auto j = read_json(path);
  RunResult r;
  try {
    r.run = {j.at("variant"), j.at("stress"), j.at("seed"), j.at("id")};
    r.status = j.at("status");
    r.steps = j.at("steps");
    r.stage = j.at("stage");
    r.cause = j.at("cause");
    r.metrics_from = j.at("metrics_from");
    r.seconds = j.at("seconds");
    if (!j.at("nonfinite_step").is_null()) r.nonfinite_step = j["nonfinite_step"].get<int64_t>();
    if (j.contains("spike_lead") && !j["spike_lead"].is_null()) r.spike_lead = j["spike_lead"].get<int64_t>();
    if (!j.at("metrics").is_null()) r.metrics = metrics_of(j["metrics"]);
  } catch (const json::exception& e) {
    throw std::runtime_error(path + ": not a study run result: " + e.what());
  }
  return r;
}

}  // namespace depthguard
