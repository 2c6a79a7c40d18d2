#include "depthguard/report/html/html_report.h"

#include <chrono>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "depthguard/core/version.h"
#include "depthguard/guard/spike_detector.h"
#include "depthguard/report/html/base64.h"
#include "depthguard/report/html/html_page.h"
#include "depthguard/runtime/atomic_file.h"

namespace depthguard {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

json read_json(const fs::path& path) {
  try {
    return json::parse(read_whole_file(path));
  } catch (const json::exception& e) {
    throw std::runtime_error(path.string() + ": not valid JSON: " + e.what());
  }
}

json read_json_if_present(const fs::path& path) { return fs::exists(path) ? read_json(path) : json(); }

// metrics.jsonl split by kind of line. A last line cut short by a killed writer is dropped
// (the log is appended line by line); a malformed line before it is an error.
struct MetricsLines {
  json train = json::array(), eval = json::array(), events = json::array(), overflows = json::array(),
       spikes = json::array();
};

MetricsLines read_metrics(const fs::path& path) {
  std::istringstream in(read_whole_file(path));
  MetricsLines lines;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    json j;
    try {
      j = json::parse(line);
    } catch (const json::exception&) {
      if (in.peek() == std::char_traits<char>::eof()) break;  // the cut last line
      throw std::runtime_error(fmt::format("{}:{}: not a JSON object", path.string(), number));
    }
    if (!j.is_object() || !j.contains("step") || !j["step"].is_number_integer()) {
      throw std::runtime_error(fmt::format("{}:{}: not a metrics line (no integer step)", path.string(), number));
    }
    const auto object_or_null = [&](const char* key) {
      if (!j[key].is_object() && !j[key].is_null()) {
        throw std::runtime_error(fmt::format("{}:{}: \"{}\" is not an object", path.string(), number, key));
      }
    };
    if (j.contains("eval")) {
      object_or_null("eval");
      lines.eval.push_back(j);
    } else if (j.contains("loss_scale_overflow")) {
      object_or_null("loss_scale_overflow");
      const auto scale = j["loss_scale_overflow"].is_object() ? j["loss_scale_overflow"].value("scale", json()) : json();
      lines.overflows.push_back({{"step", j["step"]}, {"scale", scale.is_number() ? scale : json()}});
    } else if (j.contains("spike")) {
      object_or_null("spike");
      json spike = j["spike"].is_object() ? j["spike"] : json::object();
      spike["step"] = j["step"];
      lines.spikes.push_back(spike);
    } else if (j.contains("nonfinite")) {
      if (!j["nonfinite"].is_object()) {
        throw std::runtime_error(fmt::format("{}:{}: \"nonfinite\" is not an object", path.string(), number));
      }
      json event = j["nonfinite"];
      event["step"] = j["step"];
      lines.events.push_back(event);
    } else {
      lines.train.push_back(j);
    }
  }
  return lines;
}

// `key` of `j` when it is a string, else "".
std::string text_field(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

bool file_exists(const fs::path& path) {
  std::error_code error;  // a name too long for the file system is simply not there
  return fs::exists(path, error);
}

// An event's forensics report (report.json and report.txt in its folder), when it has one.
void attach_forensics(json& event, const fs::path& run) {
  fs::path folder(text_field(event, "report"));
  if (folder.empty()) return;
  if (!file_exists(folder)) folder = run / "forensics" / folder.filename();  // the run was moved
  if (!file_exists(folder / "report.json")) return;
  const auto report = read_json(folder / "report.json");
  json found{{"cause_title", text_field(report, "cause_title")},
             {"reason", text_field(report, "reason")},
             {"remedy", text_field(report, "remedy")}};
  if (report.is_object() && report.contains("op")) {
    found["operator"] = text_field(report["op"], "name");
    found["direction"] = text_field(report["op"], "direction");
    found["module"] = text_field(report["op"], "module");
    const auto site = report["op"].is_object() ? report["op"].value("site", json()) : json();
    if (site.is_object()) {  // a Python loop's: where its code called the operator
      found["site"] = fmt::format("{}:{} ({})", text_field(site, "file"), site.value("line", 0), text_field(site, "function"));
    }
  }
  if (report.is_object() && report.value("fix_at", json()).is_array()) {
    std::vector<std::string> lines;
    for (const auto& line : report["fix_at"]) lines.push_back(line.is_string() ? line.get<std::string>() : "");
    found["fix_at"] = fmt::format("{}", fmt::join(lines, " and "));
  }
  if (file_exists(folder / "report.txt")) found["text"] = read_whole_file(folder / "report.txt");
  event["forensics"] = found;
}

// The held-out samples of the last evaluation, each picture inline as a data: URL.
json read_samples(const fs::path& dir) {
  if (!fs::exists(dir / "samples.json")) return json();
  json index = read_json(dir / "samples.json");
  if (!index.is_object() || !index.contains("samples") || !index["samples"].is_array()) {
    throw std::runtime_error((dir / "samples.json").string() + ": no list of samples");
  }
  for (auto& sample : index["samples"]) {
    const auto file = text_field(sample, "file");
    if (file.empty() || fs::path(file).has_parent_path()) {
      throw std::runtime_error((dir / "samples.json").string() + ": a sample without a file name in samples/");
    }
    sample["src"] = "data:image/png;base64," + base64_encode(read_whole_file(dir / file));
  }
  return index;
}

std::string now_utc() {
  return fmt::format("{:%Y-%m-%d %H:%M} UTC", fmt::gmtime(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())));
}

// The directory's own name, also for "." or a path ending in '/'.
std::string directory_name(const fs::path& dir) {
  auto path = fs::absolute(dir).lexically_normal();
  if (path.filename().empty()) path = path.parent_path();
  return path.filename().string();
}

// What the study page draws from each entry, with the JSON type it must have (study.json
// as study/study_report.cpp writes it); metrics may be null.
void check_study_shape(const json& data, const std::string& file) {
  const auto fail = [&](const std::string& what) { throw std::runtime_error(file + ": not a study result (" + what + ")"); };
  if (!data.is_object() || !data.contains("summary") || !data.contains("runs")) fail("no summary or runs");
  if (!data["summary"].is_array() || !data["runs"].is_array()) fail("summary and runs must be lists");
  if (!data.contains("command") || !data["command"].is_string()) fail("no command");
  const auto need = [&](const json& entry, const char* key, bool (json::*is)() const noexcept, const char* where) {
    if (!entry.is_object() || !entry.contains(key) || !(entry[key].*is)()) fail(std::string(where) + " without " + key);
  };
  for (const auto& arm : data["summary"]) {
    for (const char* key : {"variant", "stress"}) need(arm, key, &json::is_string, "an arm");
    for (const char* key : {"runs", "nonfinite", "failed"}) need(arm, key, &json::is_number_integer, "an arm");
    need(arm, "rate", &json::is_number, "an arm");
    need(arm, "causes", &json::is_object, "an arm");
    need(arm, "rate_ci95", &json::is_array, "an arm");
    if (arm["rate_ci95"].size() != 2 || !arm["rate_ci95"][0].is_number() || !arm["rate_ci95"][1].is_number()) {
      fail("an arm's rate_ci95 is not [low, high]");
    }
    for (const char* key : {"abs_rel", "d1"}) {
      const auto& m = arm[key];
      if (!m.is_null() && !(m.is_object() && m.value("mean", json()).is_number() && m.value("std", json()).is_number())) {
        fail(std::string("an arm's ") + key + " is not {mean, std, n}");
      }
    }
  }
  for (const auto& run : data["runs"]) {
    for (const char* key : {"id", "variant", "stress", "status"}) need(run, key, &json::is_string, "a run");
    need(run, "seed", &json::is_number_integer, "a run");
    if (!run["metrics"].is_null() && !run["metrics"].is_object()) fail("a run's metrics are not an object");
    if (!run["nonfinite_step"].is_null() && !run["nonfinite_step"].is_number()) fail("a run's nonfinite_step is not a number");
  }
}

json made_by() { return {{"generated", now_utc()}, {"version", build_version()}}; }

}  // namespace

json run_report_data(const std::string& run_dir) {
  const fs::path run(run_dir);
  auto metrics = read_metrics(run / "metrics.jsonl");
  for (auto& event : metrics.events) attach_forensics(event, run);
  json data{{"kind", "run"},
            {"path", fs::absolute(run).lexically_normal().string()},
            {"train", metrics.train},
            {"eval", metrics.eval},
            {"events", metrics.events},
            {"overflows", metrics.overflows},
            {"spikes", metrics.spikes},
            {"spike_meaning", kSpikeMeaning},
            {"summary", read_json_if_present(run / "summary.json")},
            {"evaluation", read_json_if_present(run / "eval.json")},
            {"samples", read_samples(run / "samples")},
            {"config", fs::exists(run / "config.yaml") ? json(read_whole_file(run / "config.yaml")) : json()},
            {"report", made_by()}};
  return data;
}

json study_report_data(const std::string& study_dir) {
  const fs::path study(study_dir);
  json data = read_json(study / "study.json");
  check_study_shape(data, (study / "study.json").string());
  data["kind"] = "study";
  data["path"] = fs::absolute(study).lexically_normal().string();
  data["report"] = made_by();
  return data;
}

std::string write_html_report(const std::string& dir) {
  const fs::path where(dir);
  const auto name = directory_name(where);
  std::string page;
  if (fs::exists(where / "metrics.jsonl")) {
    page = html_page("depthguard run: " + name, run_report_data(dir));
  } else if (fs::exists(where / "study.json")) {
    page = html_page("depthguard study: " + name, study_report_data(dir));
  } else {
    throw std::runtime_error(dir + ": neither a training run (no metrics.jsonl) nor a study (no study.json)");
  }
  const auto path = (where / "report.html").string();
  write_file_atomically(path, page);
  return path;
}

}  // namespace depthguard
