#include "depthguard/guard/forensics_report.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "depthguard/runtime/atomic_file.h"

namespace depthguard {

namespace {

using nlohmann::json;

json summary_json(const TensorSummary& s) {
  json j{{"shape", s.shape}, {"dtype", s.dtype},         {"device", s.device}, {"numel", s.numel}, {"zeros", s.zeros},
         {"negatives", s.negatives}, {"nan", s.nan}, {"posinf", s.posinf}, {"neginf", s.neginf}};
  j["min"] = s.min ? json(*s.min) : json(nullptr);
  j["max"] = s.max ? json(*s.max) : json(nullptr);
  return j;
}

json op_json(const NonFiniteOp& op) {
  json inputs = json::array();
  for (const auto& a : op.inputs) inputs.push_back(a.tensor ? summary_json(*a.tensor) : json(a.scalar));
  json j{{"name", op.op},         {"chain", op.chain},   {"direction", op.direction},
         {"module", op.module},   {"inputs", inputs},    {"output", summary_json(op.output)},
         {"earlier_ops", op.earlier_ops}, {"producers", op.producer_texts()}};
  j["site"] = op.site ? json{{"file", op.site->file}, {"line", op.site->line}, {"function", op.site->function}}
                      : json(nullptr);
  return j;
}

json history_array(const std::vector<StepRecord>& history) {
  json a = json::array();
  for (const auto& r : history) {
    a.push_back({{"step", r.step}, {"loss", r.loss}, {"grad_norm", r.grad_norm}, {"weight_norm", r.weight_norm},
                 {"lr", r.lr}});
  }
  return a;
}

json replays_array(const std::vector<StepReplay>& replays) {
  json a = json::array();
  for (const auto& r : replays) a.push_back({{"device", r.device}, {"precision", r.precision}, {"nonfinite", r.nonfinite}});
  return a;
}

const char* terms_name(FixTerms terms) { return terms == FixTerms::Trainer ? "trainer" : "pytorch"; }

json spikes_array(const std::vector<Spike>& spikes) {
  json a = json::array();
  for (const auto& s : spikes) {
    a.push_back({{"step", s.step}, {"figure", s.figure}, {"value", s.value}, {"median", s.median}, {"ratio", s.ratio()}});
  }
  return a;
}

// "site:value[:runs]" as guard.inject's words: "nan into the gradient at step 12" (runs
// "once" or N: "..., on its first run only" / "on its first N runs").
std::string injection_words(const std::string& injected, int64_t step) {
  const auto first = injected.find(':'), second = injected.find(':', first + 1);
  const auto value = injected.substr(first + 1, second == std::string::npos ? std::string::npos : second - first - 1);
  auto words = fmt::format("guard.inject put {} into the {} at step {}", value, injected.substr(0, first), step);
  if (second == std::string::npos) return words;
  const auto runs = injected.substr(second + 1);
  return words + (runs == "once" ? ", on its first run only" : ", on its first " + runs + " runs");
}

// Replays ran on the run's own device in its own precision and none made the value again.
bool not_reproduced(const ForensicsReport& r) {
  const auto& replays = r.replays;
  if (replays.empty() || r.run_device.empty()) return false;
  return std::none_of(replays.begin(), replays.end(), [](const StepReplay& p) { return p.nonfinite; }) &&
         std::any_of(replays.begin(), replays.end(),
                     [&](const StepReplay& p) { return p.device == r.run_device && p.precision == r.run_precision; });
}

}  // namespace

void ForensicsReport::classify() {
  const bool every_run = injected.find(':') == injected.rfind(':');  // no ":once" or ":N"
  if (!injected.empty() && every_run) {
    cause = NonFiniteCause::Injected;
    reason = injection_words(injected, step);
    return;
  }
  if (stage == "input") {
    cause = NonFiniteCause::NonFiniteInput;
    reason = findings.empty() ? "the batch holds non-finite values" : fmt::format("{}", fmt::join(findings, "; "));
    return;
  }
  const auto growth = growth_before_event(history);
  if (stage != "weight" && not_reproduced(*this)) {
    cause = NonFiniteCause::Transient;
    reason = fmt::format("the step is finite when run again on {} ({} replay(s){}): a hardware fault or a "
                         "nondeterministic kernel",
                         run_device, replays.size(),
                         replays.front().precision.empty() ? "" : " in " + replays.front().precision);
    if (!injected.empty()) reason += "; " + injection_words(injected, step);
    return;
  }
  if (op && !device_only.empty()) {
    std::string what;
    const auto on_device = cause_of_op(*op, what);
    cause = NonFiniteCause::DeviceKernel;
    reason = fmt::format("non-finite on {}, finite on the CPU in the same precision: {} ({})", device_only, what,
                         cause_title(on_device));
    return;
  }
  if (op && !precision_only.empty()) {
    std::string what;
    const auto in_reduced = cause_of_op(*op, what);
    cause = NonFiniteCause::Precision;
    reason = fmt::format("finite in float32, non-finite under {} autocast: {} ({})", precision_only, what,
                         cause_title(in_reduced));
    return;
  }
  if (op) {
    cause = cause_of_op(*op, reason);
    if (growth && (cause == NonFiniteCause::Overflow || cause == NonFiniteCause::Unknown)) {
      reason = *growth + "; then " + reason;
      cause = NonFiniteCause::Exploding;
    }
    return;
  }
  if (stage == "weight") {
    cause = growth ? NonFiniteCause::Exploding : NonFiniteCause::Overflow;
    reason = (growth ? *growth + "; then " : std::string()) +
             "after the optimiser's update (finite gradients): " + fmt::format("{}", fmt::join(findings, "; "));
    return;
  }
  cause = growth ? NonFiniteCause::Exploding : NonFiniteCause::Unknown;
  reason = (growth ? *growth + "; " : std::string()) +
           "the replay of this step produced no non-finite operator output";
}

std::string step_words(int64_t iteration, int64_t updates_kept) {
  if (iteration < 0 || iteration == updates_kept) return fmt::format("step {}", updates_kept);
  return fmt::format("step {} ({} update{} kept)", iteration, updates_kept, updates_kept == 1 ? "" : "s");
}

std::vector<std::string> ForensicsReport::fix_at() const {
  std::vector<std::string> out;
  if (!op || !op->site) return out;
  const auto file_line = [](const CallSite& s) { return s.file + ":" + std::to_string(s.line); };
  out.push_back(file_line(*op->site));
  const auto* sigmoid = cause == NonFiniteCause::LogOfSigmoid ? sigmoid_producer(*op) : nullptr;
  if (sigmoid && sigmoid->site && file_line(*sigmoid->site) != out.front()) out.push_back(file_line(*sigmoid->site));
  return out;
}

std::string ForensicsReport::json() const {
  nlohmann::json j{{"step", step},
                   {"iteration", loop_step()},
                   {"stage", stage},
                   {"samples", samples},
                   {"injected", injected},
                   {"findings", findings},
                   {"cause", choice_name(nonfinite_cause_choices(), cause)},
                   {"cause_title", cause_title(cause)},
                   {"reason", reason},
                   {"remedy", remedy()},
                   {"remedy_terms", terms_name(terms)},
                   {"fix_at", fix_at()},
                   {"history", history_array(history)}};
  j["op"] = op ? op_json(*op) : nlohmann::json(nullptr);
  j["precision_only"] = precision_only;
  j["device_only"] = device_only;
  j["run_device"] = run_device;
  j["run_precision"] = run_precision;
  j["replays"] = replays_array(replays);
  j["intra_op_threads"] = intra_op_threads;
  j["spikes"] = spikes_array(spikes);
  return j.dump(2);
}

std::string ForensicsReport::text() const {
  std::string out = fmt::format("non-finite {} at {}", stage, step_words(iteration, step));
  out += samples.empty() ? "\n" : fmt::format(" (samples {})\n", fmt::join(samples, ", "));
  if (op) {
    out += fmt::format("  first non-finite operator: {} ({}) in module '{}'\n", op->op, op->direction, op->module);
    if (op->site) out += fmt::format("    called at {}\n", op->site->text());
    if (op->chain != op->op) out += fmt::format("    call chain: {}\n", op->chain);
    for (size_t i = 0; i < op->inputs.size(); ++i) {
      const auto& a = op->inputs[i];
      out += fmt::format("    input {}: {}\n", i, a.tensor ? a.tensor->text() : a.scalar);
    }
    out += fmt::format("    output: {}\n", op->output.text());
    if (!op->producers.empty()) out += fmt::format("    its inputs made by: {}\n", fmt::join(op->producer_texts(), " < "));
  }
  for (const auto& f : findings) out += fmt::format("  {}\n", f);
  for (const auto& s : spikes) {
    out += fmt::format("  warned {} step(s) before: {} {:.4g} at step {}, {:.3g}x its running median {:.4g}\n",
                       step - s.step, s.figure == "loss" ? "loss" : "gradient norm", s.value, s.step, s.ratio(), s.median);
  }
  for (const auto& r : replays) {
    out += fmt::format("  replayed on {}{}: {}\n", r.device, r.precision.empty() ? "" : " in " + r.precision,
                       r.nonfinite ? "non-finite again" : "finite");
  }
  if (!replays.empty() && intra_op_threads > 0) out += fmt::format("  replays on {} intra-op thread(s)\n", intra_op_threads);
  const auto at = fix_at();
  out += fmt::format("  cause: {} [{}]\n  why: {}\n  fix{}: {}\n", cause_title(cause),
                     choice_name(nonfinite_cause_choices(), cause), reason,
                     at.empty() ? "" : fmt::format(" at {}", fmt::join(at, " and ")), remedy());
  return out;
}

std::string history_json(const std::vector<StepRecord>& history) { return history_array(history).dump(); }

std::vector<StepRecord> history_from_json(const std::string& text) {
  std::vector<StepRecord> out;
  try {
    for (const auto& r : json::parse(text)) {
      out.push_back({r.at("step").get<int64_t>(), r.at("loss").get<double>(), r.at("grad_norm").get<double>(),
                     r.at("weight_norm").get<double>(), r.at("lr").get<double>()});
    }
  } catch (const json::exception& e) {
    throw std::runtime_error(std::string("step history: ") + e.what());
  }
  return out;
}

void write_report(const std::string& dir, const ForensicsReport& report) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  write_file_atomically((fs::path(dir) / "report.json").string(), report.json() + "\n");
  write_file_atomically((fs::path(dir) / "report.txt").string(), report.text());
}

}  // namespace depthguard
