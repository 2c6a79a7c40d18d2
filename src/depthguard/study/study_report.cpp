#include "depthguard/study/study_report.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "depthguard/runtime/atomic_file.h"

namespace depthguard {

namespace {

using nlohmann::json;

std::optional<MeanStd> mean_std(const std::vector<double>& v) {
  if (v.empty()) return std::nullopt;
  MeanStd m;
  m.n = static_cast<int64_t>(v.size());
  for (double x : v) m.mean += x / static_cast<double>(v.size());
  if (v.size() > 1) {
    double ss = 0;
    for (double x : v) ss += (x - m.mean) * (x - m.mean);
    m.std = std::sqrt(ss / static_cast<double>(v.size() - 1));
  }
  return m;
}

double median(std::vector<int64_t> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? static_cast<double>(v[n / 2]) : 0.5 * static_cast<double>(v[n / 2 - 1] + v[n / 2]);
}

ArmSummary summarize_arm(const std::vector<const RunResult*>& runs) {
  ArmSummary a;
  a.variant = runs.front()->run.variant;
  a.stress = runs.front()->run.stress;
  a.runs = static_cast<int64_t>(runs.size());
  std::vector<int64_t> steps, leads;
  std::vector<double> abs_rel, rmse, d1;
  for (const auto* r : runs) {
    if (r->nonfinite_step) {
      ++a.nonfinite;
      steps.push_back(*r->nonfinite_step);
      ++a.causes[r->cause];
      if (r->spike_lead) leads.push_back(*r->spike_lead);
    } else if (r->status == "failed") {
      ++a.failed;
    }
    if (r->metrics) {
      abs_rel.push_back(r->metrics->abs_rel);
      rmse.push_back(r->metrics->rmse);
      d1.push_back(r->metrics->d1);
    }
  }
  a.rate = wilson_interval(a.nonfinite, a.runs);
  if (!steps.empty()) a.median_first_step = median(steps);
  a.warned = static_cast<int64_t>(leads.size());
  if (!leads.empty()) a.median_spike_lead = median(leads);
  a.abs_rel = mean_std(abs_rel);
  a.rmse = mean_std(rmse);
  a.d1 = mean_std(d1);
  return a;
}

std::string cell(const std::optional<MeanStd>& m, int digits) {
  return m ? fmt::format("{:.{}f} ± {:.{}f} ({})", m->mean, digits, m->std, digits, m->n) : "-";
}

std::string causes_text(const std::map<std::string, int64_t>& causes) {
  std::string out;
  for (const auto& [cause, n] : causes) out += (out.empty() ? "" : ", ") + fmt::format("{} {}", cause, n);
  return out.empty() ? "-" : out;
}

json mean_std_json(const std::optional<MeanStd>& m) {
  return m ? json{{"mean", m->mean}, {"std", m->std}, {"n", m->n}} : json(nullptr);
}

}  // namespace

std::vector<ArmSummary> summarize_study(const std::vector<RunResult>& results) {
  std::vector<std::pair<std::string, std::vector<const RunResult*>>> groups;
  for (const auto& r : results) {
    const auto key = r.run.variant + "--" + r.run.stress;
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == key; });
    if (it == groups.end()) it = groups.insert(groups.end(), {key, {}});
    it->second.push_back(&r);
  }
  std::vector<ArmSummary> out;
  for (const auto& g : groups) out.push_back(summarize_arm(g.second));
  return out;
}

std::string study_markdown(const std::vector<ArmSummary>& arms) {
  std::string s =
      "| variant | stress | runs | NaN runs | NaN rate [95% CI] | median first-NaN step | spike warning before | "
      "causes | abs_rel | rmse | d1 |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& a : arms) {
    const auto warned = a.nonfinite == 0 ? std::string("-")
                        : a.median_spike_lead
                            ? fmt::format("{} of {}, median {:g} steps before", a.warned, a.nonfinite, *a.median_spike_lead)
                            : fmt::format("0 of {}", a.nonfinite);
    s += fmt::format("| {} | {} | {} | {}{} | {:.2f} [{:.2f}, {:.2f}] | {} | {} | {} | {} | {} | {} |\n", a.variant,
                     a.stress, a.runs, a.nonfinite, a.failed ? fmt::format(" ({} failed)", a.failed) : "",
                     static_cast<double>(a.nonfinite) / static_cast<double>(a.runs), a.rate.low, a.rate.high,
                     a.median_first_step ? fmt::format("{:g}", *a.median_first_step) : "-", warned,
                     causes_text(a.causes),
                     cell(a.abs_rel, 4), cell(a.rmse, 3), cell(a.d1, 3));
  }
  return s;
}

void write_study_report(const std::string& out, const std::string& command, const std::vector<RunResult>& results,
                        const std::vector<ArmSummary>& arms) {
  namespace fs = std::filesystem;
  const auto md = fmt::format(
      "# NaN study\n\nCommand: `{}`\n\nNaN rate: runs in which the sentinel met a non-finite value (each run halts "
      "there), with a 95% Wilson interval. Metrics: mean ± standard deviation (runs) on held-out data, from the final "
      "model or, for a halted run, from its last good checkpoint.\n\n{}",
      command, study_markdown(arms));
  write_file_atomically((fs::path(out) / "study.md").string(), md);

  std::string csv =
      "id,variant,stress,seed,status,steps,nonfinite_step,spike_lead,stage,cause,metrics_from,abs_rel,rmse,d1,seconds\n";
  json runs = json::array();
  for (const auto& r : results) {
    csv += fmt::format("{},{},{},{},{},{},{},{},{},{},\"{}\",{},{},{},{:.1f}\n", r.run.id, r.run.variant, r.run.stress,
                       r.run.seed, r.status, r.steps, r.nonfinite_step ? std::to_string(*r.nonfinite_step) : "",
                       r.spike_lead ? std::to_string(*r.spike_lead) : "",
                       r.stage, r.cause, r.metrics_from, r.metrics ? fmt::format("{:.6f}", r.metrics->abs_rel) : "",
                       r.metrics ? fmt::format("{:.6f}", r.metrics->rmse) : "",
                       r.metrics ? fmt::format("{:.6f}", r.metrics->d1) : "", r.seconds);
    runs.push_back(json::parse(result_json(r)));
  }
  write_file_atomically((fs::path(out) / "runs.csv").string(), csv);

  json summary = json::array();
  for (const auto& a : arms) {
    summary.push_back({{"variant", a.variant},
                       {"stress", a.stress},
                       {"runs", a.runs},
                       {"nonfinite", a.nonfinite},
                       {"failed", a.failed},
                       {"rate", static_cast<double>(a.nonfinite) / static_cast<double>(a.runs)},
                       {"rate_ci95", {a.rate.low, a.rate.high}},
                       {"median_first_step", a.median_first_step ? json(*a.median_first_step) : json(nullptr)},
                       {"warned", a.warned},
                       {"median_spike_lead", a.median_spike_lead ? json(*a.median_spike_lead) : json(nullptr)},
                       {"causes", a.causes},
                       {"abs_rel", mean_std_json(a.abs_rel)},
                       {"rmse", mean_std_json(a.rmse)},
                       {"d1", mean_std_json(a.d1)}});
  }
  write_file_atomically((fs::path(out) / "study.json").string(),
                        json{{"command", command}, {"summary", summary}, {"runs", runs}}.dump(2) + "\n");
}

}  // namespace depthguard
