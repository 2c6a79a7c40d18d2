// depthguard._C: the sentinel of the C++ library for Python training loops. The Python side
// (python/depthguard/) adapts torch.nn.Module, torch.optim and GradScaler objects to it; every
// decision, check, replay and report is the C++ library's (docs/python.md).
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <pybind11/functional.h>
#include <pybind11/stl.h>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/utils/pybind.h>

#include "depthguard/core/choice.h"
#include "depthguard/core/errors.h"
#include "depthguard/guard/group_exchange.h"
#include "depthguard/guard/audit_report.h"
#include "depthguard/guard/event_json.h"
#include "depthguard/guard/guard_options.h"
#include "depthguard/guard/kernel_audit.h"
#include "depthguard/guard/op_scope.h"
#include "depthguard/guard/script_replay.h"
#include "depthguard/guard/sentinel.h"
#include "depthguard/runlog/metrics_log.h"
#include "depthguard/runlog/tensorboard_mirror.h"
#include "depthguard/runtime/device.h"
#include "python_call_site.h"
#include "python_logging_sink.h"
#include "python_state.h"

namespace py = pybind11;

namespace depthguard::python {

namespace {

// The module scopes of a replay: a forward pre-hook opens one for each submodule, the forward
// hook closes it. A RecordFunction keeps the pointer to its name, so the names live here too.
struct OpenScope {
  std::unique_ptr<std::string> name;
  std::unique_ptr<OpScope> scope;
};
thread_local std::vector<OpenScope> open_scopes;

void push_scope(const std::string& name) {
  auto stored = std::make_unique<std::string>(name);
  auto scope = std::make_unique<OpScope>(stored->c_str());
  open_scopes.push_back({std::move(stored), std::move(scope)});
}

void pop_scope() {
  if (!open_scopes.empty()) open_scopes.pop_back();
}

// One keyword option of depthguard.Sentinel as T; a TypeError naming it otherwise.
template <typename T>
T option(const py::kwargs& kw, const char* key) {
  try {
    return kw[key].cast<T>();
  } catch (const py::cast_error&) {
    throw py::type_error(fmt::format("{}: got {}", key, py::str(py::type::of(kw[key])).cast<std::string>()));
  }
}

// The keyword options of depthguard.Sentinel, as the Python side passes them on.
GuardOptions guard_options(const py::kwargs& kw) {
  const auto number = [&](const char* key) { return option<double>(kw, key); };
  const auto count = [&](const char* key) { return option<int64_t>(kw, key); };
  return GuardOptions()
      .policy(parse_choice(guard_policy_choices(), "policy", option<std::string>(kw, "policy")))
      .on_transient(parse_choice(transient_policy_choices(), "on_transient", option<std::string>(kw, "on_transient")))
      .max_skips(count("max_skips"))
      .lr_factor(number("lr_factor"))
      .snapshot_interval(count("snapshot_interval"))
      .forensics(option<bool>(kw, "forensics"))
      .min_loss_scale(number("min_loss_scale"))
      .max_scale_backoffs(count("max_scale_backoffs"))
      .replays(count("replays"))
      .spike_ratio(number("spike_ratio"))
      .spike_mads(number("spike_mads"))
      .spike_window(count("spike_window"))
      .spike_warmup(count("spike_warmup"));
}

// A run directory for a Python loop: metrics.jsonl and TensorBoard event files with the lines
// the trainer writes for the same events, and forensics/step-N/report.{json,txt}.
class RunLog {
 public:
  explicit RunLog(const std::string& dir)
      : dir_(dir), metrics_((std::filesystem::path(dir) / "metrics.jsonl").string(), -1),
        tensorboard_((std::filesystem::path(dir) / "tb").string()) {}

  void record(const nlohmann::json& line) {
    metrics_.append(line);
    mirror_to_tensorboard(tensorboard_, line);
  }
  std::string report_dir(int64_t step) const {
    return (std::filesystem::path(dir_) / "forensics" / fmt::format("step-{}", step)).string();
  }

 private:
  std::string dir_;
  MetricsLog metrics_;
  TensorBoardWriter tensorboard_;
};

// Events, overflows and the first investigation's report go to `dir`; `write_bundle` (the
// package's tracer) adds the reproducer to the report's directory while the step's state is
// still the one that failed.
void log_to(Sentinel& sentinel, const std::string& dir, std::function<void(const std::string&)> write_bundle) {
  auto log = std::make_shared<RunLog>(dir);
  sentinel.on_event([log](const NonFiniteEvent& e) { log->record({{"step", e.step}, {"nonfinite", event_json(e)}}); });
  sentinel.on_scale_overflow(
      [log](const ScaleOverflow& o) { log->record({{"step", o.step}, {"loss_scale_overflow", overflow_json(o)}}); });
  sentinel.on_spike([log](const Spike& s) { log->record({{"step", s.step}, {"spike", spike_json(s)}}); });
  sentinel.investigate_with([log, &sentinel, write_bundle](const StepEvidence& evidence) {
    auto found = sentinel.replay_in_place(evidence);
    found.location = log->report_dir(evidence.step);
    write_report(found.location, found.report);
    if (write_bundle && evidence.stage != GuardStage::Weight && evidence.stage != GuardStage::Input) {
      write_bundle(found.location);
      write_script_conditions(found.location, evidence.conditions);
    }
    return found;
  });
}

std::string stage_name(GuardStage stage) { return choice_name(guard_stage_choices(), stage); }

void bind_reports(py::module_& m) {
  py::class_<TensorSummary>(m, "TensorSummary")
      .def_readonly("shape", &TensorSummary::shape)
      .def_readonly("dtype", &TensorSummary::dtype)
      .def_readonly("device", &TensorSummary::device)
      .def_readonly("numel", &TensorSummary::numel)
      .def_readonly("min", &TensorSummary::min)
      .def_readonly("max", &TensorSummary::max)
      .def_readonly("zeros", &TensorSummary::zeros)
      .def_readonly("negatives", &TensorSummary::negatives)
      .def_readonly("nan", &TensorSummary::nan)
      .def_readonly("posinf", &TensorSummary::posinf)
      .def_readonly("neginf", &TensorSummary::neginf)
      .def("__str__", &TensorSummary::text);
  py::class_<NonFiniteOp>(m, "Operator")
      .def_readonly("op", &NonFiniteOp::op)
      .def_readonly("chain", &NonFiniteOp::chain)
      .def_readonly("direction", &NonFiniteOp::direction)
      .def_readonly("module", &NonFiniteOp::module)
      .def_property_readonly("file", [](const NonFiniteOp& op) { return op.site ? std::optional(op.site->file) : std::nullopt; })
      .def_property_readonly("line", [](const NonFiniteOp& op) { return op.site ? std::optional(op.site->line) : std::nullopt; })
      .def_property_readonly("function",
                             [](const NonFiniteOp& op) { return op.site ? std::optional(op.site->function) : std::nullopt; })
      .def_property_readonly("inputs",
                             [](const NonFiniteOp& op) {
                               std::vector<py::object> out;
                               for (const auto& a : op.inputs) {
                                 out.push_back(a.tensor ? py::cast(*a.tensor) : py::cast(a.scalar));
                               }
                               return out;
                             })
      .def_readonly("output", &NonFiniteOp::output)
      .def_readonly("earlier_ops", &NonFiniteOp::earlier_ops)
      .def_property_readonly("producers", &NonFiniteOp::producer_texts);
  py::class_<ForensicsReport>(m, "Report")
      .def_readonly("step", &ForensicsReport::step)
      .def_property_readonly("iteration", &ForensicsReport::loop_step)
      .def_readonly("stage", &ForensicsReport::stage)
      .def_readonly("samples", &ForensicsReport::samples)
      .def_readonly("op", &ForensicsReport::op)
      .def_readonly("findings", &ForensicsReport::findings)
      .def_property_readonly("cause", [](const ForensicsReport& r) { return choice_name(nonfinite_cause_choices(), r.cause); })
      .def_property_readonly("cause_title", [](const ForensicsReport& r) { return cause_title(r.cause); })
      .def_property_readonly("remedy", &ForensicsReport::remedy)
      .def_readonly("intra_op_threads", &ForensicsReport::intra_op_threads)
      .def_property_readonly("fix_at", &ForensicsReport::fix_at)
      .def_readonly("reason", &ForensicsReport::reason)
      .def_property_readonly("replays",
                             [](const ForensicsReport& r) {
                               std::vector<py::dict> out;
                               for (const auto& p : r.replays) {
                                 out.push_back(py::dict(py::arg("device") = p.device, py::arg("precision") = p.precision,
                                                        py::arg("nonfinite") = p.nonfinite));
                               }
                               return out;
                             })
      .def_property_readonly("spikes",
                             [](const ForensicsReport& r) {
                               std::vector<py::dict> out;
                               for (const auto& s : r.spikes) {
                                 out.push_back(py::dict(py::arg("step") = s.step, py::arg("figure") = s.figure,
                                                        py::arg("value") = s.value, py::arg("median") = s.median));
                               }
                               return out;
                             })
      .def("json", &ForensicsReport::json)
      .def("__str__", &ForensicsReport::text);
  py::class_<NonFiniteEvent>(m, "Event")
      .def_readonly("step", &NonFiniteEvent::step)
      .def_readonly("iteration", &NonFiniteEvent::iteration)
      .def_property_readonly("stage", [](const NonFiniteEvent& e) { return stage_name(e.stage); })
      .def_property_readonly("action", [](const NonFiniteEvent& e) { return choice_name(guard_action_choices(), e.action); })
      .def_readonly("reason", &NonFiniteEvent::reason)
      .def_readonly("consecutive", &NonFiniteEvent::consecutive)
      .def_readonly("samples", &NonFiniteEvent::samples)
      .def_readonly("ranks", &NonFiniteEvent::ranks)
      .def_property_readonly("cause",
                             [](const NonFiniteEvent& e) -> std::optional<std::string> {
                               if (!e.cause) return std::nullopt;
                               return choice_name(nonfinite_cause_choices(), *e.cause);
                             })
      .def_property_readonly("cause_of_first",
                             [](const NonFiniteEvent& e) -> std::optional<std::string> {
                               if (!e.cause_of_first) return std::nullopt;
                               return choice_name(nonfinite_cause_choices(), *e.cause_of_first);
                             })
      .def_readonly("report_location", &NonFiniteEvent::report_location)
      .def_readonly("transient", &NonFiniteEvent::transient)
      .def_readonly("replayed_on", &NonFiniteEvent::replayed_on)
      .def("json", [](const NonFiniteEvent& e) { return event_json(e).dump(); })
      .def("__repr__", [](const NonFiniteEvent& e) {
        const auto quoted = [](const std::optional<NonFiniteCause>& c) {
          return c ? "'" + choice_name(nonfinite_cause_choices(), *c) + "'" : std::string("None");
        };
        return fmt::format("Event(step={}, iteration={}, stage='{}', action='{}', cause={}{}{})", e.step, e.iteration,
                           stage_name(e.stage), choice_name(guard_action_choices(), e.action), quoted(e.cause),
                           e.cause_of_first ? ", cause_of_first=" + quoted(e.cause_of_first) : "",
                           e.reason.empty() ? "" : ", reason='" + e.reason + "'");
      });
}

void bind_audit(py::module_& m) {
  py::class_<AuditFinding>(m, "Finding")
      .def_readonly("kind", &AuditFinding::kind)
      .def_readonly("operator", &AuditFinding::op)
      .def_readonly("direction", &AuditFinding::direction)
      .def_readonly("node", &AuditFinding::node)
      .def_readonly("where", &AuditFinding::where)
      .def_readonly("output", &AuditFinding::output)
      .def_readonly("inputs", &AuditFinding::inputs)
      .def_readonly("dtype", &AuditFinding::dtype)
      .def_readonly("layout", &AuditFinding::layout)
      .def_readonly("device", &AuditFinding::device)
      .def_readonly("reduction_length", &AuditFinding::reduction_length)
      .def_readonly("measured", &AuditFinding::measured)
      .def_readonly("bound", &AuditFinding::bound)
      .def_readonly("fix", &AuditFinding::fix)
      .def("json", [](const AuditFinding& f) { return f.json().dump(); })
      .def("__str__", &AuditFinding::text)
      .def("__repr__", [](const AuditFinding& f) {
        return fmt::format("Finding(kind='{}', operator='{}', direction='{}', where='{}', output='{}', measured={:.3g}, "
                           "bound={:.3g})",
                           f.kind, f.op, f.direction, f.where, f.output, f.measured, f.bound);
      });
  py::class_<FormFinding>(m, "FormFinding")
      .def_property_readonly("kind", [](const FormFinding& f) { return choice_name(nonfinite_cause_choices(), f.cause); })
      .def_readonly("operator", &FormFinding::op)
      .def_readonly("where", &FormFinding::module)
      .def_property_readonly("file", [](const FormFinding& f) { return f.site ? f.site->file : std::string(); })
      .def_property_readonly("line", [](const FormFinding& f) { return f.site ? f.site->line : int64_t{0}; })
      .def_property_readonly("function", [](const FormFinding& f) { return f.site ? f.site->function : std::string(); })
      .def_readonly("risk", &FormFinding::risk)
      .def_readonly("evidence", &FormFinding::evidence)
      .def_readonly("fix", &FormFinding::fix)
      .def("json", [](const FormFinding& f) { return f.json().dump(); })
      .def("__str__", &FormFinding::text)
      .def("__repr__", [](const FormFinding& f) {
        return fmt::format("FormFinding(kind='{}', operator='{}', where='{}'{})",
                           choice_name(nonfinite_cause_choices(), f.cause), f.op, f.module,
                           f.site ? ", at='" + f.site->file + ":" + std::to_string(f.site->line) + "'" : "");
      });
  py::class_<AuditReport>(m, "AuditReport")
      .def_readonly("findings", &AuditReport::findings)
      .def_readonly("forms", &AuditReport::forms)
      .def_readonly("ops_checked", &AuditReport::ops_checked)
      .def_readonly("kernels", &AuditReport::kernels)
      .def_readonly("seconds", &AuditReport::seconds)
      .def_property_readonly("clean", &AuditReport::clean)
      .def("json", [](const AuditReport& r) { return r.json().dump(); })
      .def("__str__", &AuditReport::text)
      .def("__repr__", [](const AuditReport& r) {
        return fmt::format("AuditReport(ops_checked={}, findings={}, forms={})", r.ops_checked, r.findings.size(),
                           r.forms.size());
      });
}

// `python -m depthguard diagnose`: a Python loop's reproducer (forensics/step-N with
// replay.pt) replayed with every operator watched (guard/script_replay.h). The trainer's
// bundle.pt needs its model and config, which only the depthguard CLI builds.
ForensicsReport diagnose(const std::string& path, const std::string& device, int64_t replays, int64_t threads) {
  if (!is_script_bundle(path)) {
    const bool trainer_bundle = std::filesystem::is_regular_file(std::filesystem::path(path) / "bundle.pt") ||
                                std::filesystem::path(path).filename() == "bundle.pt";
    throw InvalidArgument(trainer_bundle
                              ? path + " is a reproducer of depthguard's trainer (bundle.pt): `depthguard diagnose` "
                                       "(the CLI, make demo builds it) replays it with its model"
                              : path + ": no replay.pt there (a Python loop's forensics/step-N directory, or its replay.pt)");
  }
  return replay_script_bundle(path, resolve_device(device), replays, threads);
}

// The sentinel's calls run without the GIL: its replay runs backward, which LibTorch's autograd
// engine refuses to run under the GIL; what it calls back in Python takes the GIL again
// (PythonState, pybind11's wrappers of Python callables).
const py::call_guard<py::gil_scoped_release> released;

// Under torch.distributed: the ranks' check flags and event texts go through the script's
// own process group, in C++ (guard/group_exchange.h), with the GIL released.
void exchange_over(Sentinel& sentinel, const c10::intrusive_ptr<c10d::ProcessGroup>& group, c10::Device device) {
  sentinel.agree_with([group, device](int64_t flags) { return exchange_flags(*group, flags, device); });
  sentinel.share_with([group, device](const std::string& text) { return exchange_texts(*group, text, device); });
}

void bind_sentinel(py::module_& m) {
  py::class_<Sentinel>(m, "Sentinel")
      .def(py::init([](py::object owner, std::vector<at::Tensor> parameters, std::vector<at::Tensor> buffers,
                       const py::kwargs& options) {
             auto state = std::make_shared<PythonState>(std::move(owner), std::move(parameters), std::move(buffers));
             auto sentinel = std::make_unique<Sentinel>(state, guard_options(options));
             sentinel->find_call_sites_with(python_call_site);
             return sentinel;
           }),
           py::arg("owner"), py::arg("parameters"), py::arg("buffers"))
      .def("log_to", &log_to, py::arg("dir"), py::arg("write_bundle"))
      .def("exchange_over", &exchange_over, py::arg("group"), py::arg("device"))
      .def("start", &Sentinel::start, released, py::arg("step"), py::arg("nonfinite_steps") = 0, py::arg("lr_scale") = 1.0)
      .def("begin_step", &Sentinel::begin_step, released, py::arg("samples"), py::arg("loss_fn"),
           py::arg("iteration"))
      .def("check_inputs", &Sentinel::check_inputs, released)
      .def("check_loss", &Sentinel::check_loss, released)
      .def("check_gradients", &Sentinel::check_gradients, released, py::arg("max_norm") = 0.0)
      .def("check_loss_scale", &Sentinel::check_loss_scale, released)
      .def("check_weights", &Sentinel::check_weights, released)
      .def("expect_inputs", &Sentinel::expect_inputs, released)
      .def("check_step",
           [](Sentinel& s, const at::Tensor& loss, const std::optional<at::Tensor>& overflowed,
              std::function<double()> back_off, double max_norm) {
             StepFigures figures;
             figures.loss = loss;
             if (overflowed) figures.overflowed = *overflowed;
             figures.back_off = std::move(back_off);
             return s.check_step(figures, max_norm);
           },
           released, py::arg("loss"), py::arg("overflowed"), py::arg("back_off"), py::arg("max_norm"))
      .def("settle", &Sentinel::settle, released)
      .def("end_step", &Sentinel::end_step, released)
      .def_property_readonly("step", &Sentinel::step)
      .def_property_readonly("nonfinite_steps", &Sentinel::nonfinite_steps)
      .def_property_readonly("retrying", &Sentinel::retrying)
      .def_property_readonly("transient_steps", &Sentinel::transient_steps)
      .def_property_readonly("spike_count", &Sentinel::spike_count)
      .def_property_readonly("scale_overflows", &Sentinel::scale_overflows)
      .def_property_readonly("lr_scale", &Sentinel::lr_scale)
      .def_property_readonly("loss", &Sentinel::loss)
      .def_property_readonly("grad_norm", &Sentinel::grad_norm)
      .def_property_readonly("weight_norm", &Sentinel::weight_norm)
      .def_property_readonly("device_reads", &Sentinel::device_reads)
      .def_property_readonly("events", &Sentinel::events)
      .def_property_readonly("report", [](const Sentinel& s) -> std::optional<ForensicsReport> {
        if (!s.first_investigation()) return std::nullopt;
        return s.first_investigation()->report;
      });
}

}  // namespace

}  // namespace depthguard::python

PYBIND11_MODULE(_C, m) {
  using namespace depthguard;
  using namespace depthguard::python;
  m.doc() = "depthguard's C++ sentinel (use the depthguard package, not this module)";
  py::register_exception<NonFiniteHalt>(m, "NonFiniteHalt", PyExc_RuntimeError);
  py::register_exception<InvalidArgument>(m, "InvalidArgument", PyExc_ValueError);
  // TORCH_CHECK's argument errors, without the C++ backtrace.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const c10::Error& e) {
      PyErr_SetString(PyExc_ValueError, e.what_without_backtrace());
    }
  });
  log_to_python_logging();
  m.def("push_scope", &push_scope, py::arg("name"));
  m.def("pop_scope", &pop_scope);
  bind_reports(m);
  bind_audit(m);
  // One step under the kernel check, the state put back (guard/kernel_audit.h); `step` is the
  // package's closure: forward in the model's scopes, loss, backward.
  // The forms check speaks PyTorch and names the lines of the loop's code.
  m.def(
      "audit",
      [](const std::vector<at::Tensor>& parameters, const std::vector<at::Tensor>& buffers,
         const std::function<void()>& step) {
        return audit_step(parameters, buffers, step, FormsCheck{FixTerms::PyTorch, python_call_site});
      },
      released, py::arg("parameters"), py::arg("buffers"), py::arg("step"));
  m.def("diagnose", &diagnose, released, py::arg("path"), py::arg("device") = "cpu", py::arg("replays") = 1,
        py::arg("threads") = 0);
  bind_sentinel(m);
}
