#include "depthguard/guard/nonfinite_recorder.h"

#include <algorithm>
#include <deque>
#include <sstream>
#include <unordered_map>

#include <ATen/record_function.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

namespace depthguard {

namespace {

// An open record: an operator, an autograd backward node, or the engine's wrapper around a
// node ("autograd::engine::evaluate_function: SqrtBackward0"), which is not an operator.
enum class FrameKind { Op, Node, EngineWrapper };

struct Frame {
  std::string name;
  FrameKind kind;
  int64_t seq;
};

// The forward operator that made a tensor during the recording. The weak reference keeps the
// TensorImpl's memory (not its data, which goes when the tensor does) allocated, so its
// address cannot be reused by another tensor while the entry exists.
struct Production {
  std::string op, module;
  std::optional<CallSite> site;
  std::vector<const c10::TensorImpl*> inputs;
  c10::weak_intrusive_ptr<c10::TensorImpl> output;
  int64_t traced = -1;  // its index in the trace (trace_forward_ops), -1 when not tracing
};

struct Recording {
  std::vector<std::string> modules;  // open OpScopes, outermost first
  std::unordered_map<const c10::TensorImpl*, Production> produced;
  std::vector<Frame> ops;            // open operators and backward nodes, outermost first
  std::unordered_map<int64_t, std::string> module_of_seq;
  std::unordered_map<int64_t, CallSite> site_of_seq;
  const CallSiteFinder* find_site = nullptr;
  std::unordered_map<std::string, std::deque<std::string>> recent_ops;
  std::optional<NonFiniteOp> found;
  // trace_forward_ops: the trace kept instead of a finiteness check, and whose arguments it sums up.
  std::vector<TracedOp>* trace = nullptr;
  const std::function<bool(const std::string&)>* summarise = nullptr;
};

thread_local Recording* recording = nullptr;
constexpr size_t kRecentOps = 8;
constexpr size_t kProducers = 6;

// The inputs of one operator, held until it ends. In-place operators overwrite their first
// input, so that one is copied before the kernel runs.
struct HeldInputs : at::ObserverContext {
  std::vector<c10::IValue> inputs;
  bool forward = false;  // not under a backward node: its outputs' production is recorded
  std::string module;
  std::optional<CallSite> site;
};

std::string module_path(const std::vector<std::string>& modules) { return fmt::format("{}", fmt::join(modules, ".")); }

bool uninitialised(const std::string& name) {
  return name.rfind("aten::empty", 0) == 0 || name.rfind("aten::new_empty", 0) == 0;
}

bool in_place(const std::string& name) { return !name.empty() && name.back() == '_'; }

std::unique_ptr<at::ObserverContext> record_start(const at::RecordFunction& fn) {
  if (recording == nullptr) return nullptr;
  at::DisableRecordFunctionGuard quiet;  // what the callback itself runs is not recorded
  auto& r = *recording;
  if (fn.scope() == at::RecordScope::USER_SCOPE) {
    r.modules.emplace_back(fn.name());
    return nullptr;
  }
  const std::string name = fn.name();
  const auto kind = fn.scope() == at::RecordScope::BACKWARD_FUNCTION ? FrameKind::Node
                    : name.rfind("autograd::", 0) == 0              ? FrameKind::EngineWrapper
                                                                    : FrameKind::Op;
  const bool top = r.ops.empty();
  // Only operators called by the code itself or by a backward formula are checked, not the
  // operators inside them: internals such as aten::empty hand out uninitialised memory, and
  // helpers compare against an infinity constant on purpose.
  const bool called_directly =
      std::none_of(r.ops.begin(), r.ops.end(), [](const Frame& f) { return f.kind == FrameKind::Op; });
  r.ops.push_back({name, kind, fn.seqNr()});
  if (kind != FrameKind::Op || r.found || !called_directly || uninitialised(name)) return nullptr;
  auto held = std::make_unique<HeldInputs>();
  // A forward operator the code called: only the outermost record is one (under a backward
  // node, or inside another operator, it is not).
  held->forward = top;
  if (top) {
    if (r.find_site && *r.find_site) held->site = (*r.find_site)();
    held->module = module_path(r.modules);
    if (held->module.empty() && held->site) held->module = scope_of_call(*held->site);
    if (fn.seqNr() >= 0) {
      r.module_of_seq[fn.seqNr()] = held->module;
      if (held->site) r.site_of_seq[fn.seqNr()] = *held->site;
    }
    auto& recent = r.recent_ops[held->module];
    recent.emplace_back(fn.name());
    if (recent.size() > kRecentOps) recent.pop_front();
  }
  torch::NoGradGuard no_grad;
  // A trace links and summarises inputs as they are: only a finiteness check reports an
  // in-place operator's input as it was, at the price of a copy.
  const bool keep_overwritten = r.trace == nullptr && in_place(name);
  for (const auto& v : fn.inputs()) {
    const bool overwritten = held->inputs.empty() && v.isTensor() && keep_overwritten;
    held->inputs.push_back(overwritten ? c10::IValue(v.toTensor().detach().clone()) : v);
  }
  return held;
}

bool finite(const torch::Tensor& t) {
  return !t.is_floating_point() || t.numel() == 0 || torch::isfinite(t.detach()).all().item<bool>();
}

std::vector<ArgSummary> summarize_args(const std::vector<c10::IValue>& inputs) {
  std::vector<ArgSummary> out;
  for (const auto& v : inputs) {
    if (v.isTensor()) {
      out.push_back({summarize(v.toTensor()), ""});
    } else if (v.isTensorList()) {
      for (const auto& t : v.toTensorVector()) out.push_back({summarize(t), ""});
    } else {
      std::ostringstream text;
      text << v;
      out.push_back({std::nullopt, text.str()});
    }
  }
  return out;
}

std::vector<const c10::TensorImpl*> tensor_impls(const std::vector<c10::IValue>& values) {
  std::vector<const c10::TensorImpl*> out;
  for (const auto& v : values) {
    if (v.isTensor()) out.push_back(v.toTensor().unsafeGetTensorImpl());
  }
  return out;
}

// The entry of the tensor at `impl`, alive or freed since: the entry's weak reference keeps a
// freed TensorImpl's memory, so no other tensor can have that address.
const Production* producer_of(const Recording& r, const c10::TensorImpl* impl) {
  const auto it = r.produced.find(impl);
  return it == r.produced.end() ? nullptr : &it->second;
}

// The producers of `inputs`, breadth first (an in-place operator is its own input: each
// tensor is visited once).
std::vector<Producer> producers_of(const Recording& r, std::vector<const c10::TensorImpl*> inputs) {
  std::vector<Producer> out;
  std::vector<const c10::TensorImpl*> seen;
  for (size_t i = 0; i < inputs.size() && out.size() < kProducers; ++i) {
    if (std::find(seen.begin(), seen.end(), inputs[i]) != seen.end()) continue;
    seen.push_back(inputs[i]);
    const auto* p = producer_of(r, inputs[i]);
    if (p == nullptr) continue;
    out.push_back({p->op, p->module, p->site});
    inputs.insert(inputs.end(), p->inputs.begin(), p->inputs.end());
  }
  return out;
}

void record_production(Recording& r, const at::RecordFunction& fn, const HeldInputs& held, int64_t traced = -1) {
  for (const auto& v : fn.outputs()) {
    if (!v.isTensor() || !v.toTensor().defined()) continue;
    const auto& t = v.toTensor();
    r.produced.insert_or_assign(t.unsafeGetTensorImpl(),
                                Production{fn.name(), held.module, held.site, tensor_impls(held.inputs),
                                           c10::weak_intrusive_ptr<c10::TensorImpl>(t.getIntrusivePtr()), traced});
  }
}

bool op_is(const at::RecordFunction& fn, const char* name) { return std::string(fn.name()) == name; }

// x[mask] with a boolean mask (aten::index's indices are a list of optional tensors).
bool boolean_index(const std::vector<c10::IValue>& inputs) {
  for (const auto& v : inputs) {
    if (!v.isList()) continue;
    for (const auto& e : v.toListRef()) {
      if (e.isTensor() && e.toTensor().scalar_type() == at::kBool) return true;
    }
  }
  return false;
}

// A forward operator the code called, appended to the trace with links to its inputs' makers.
void record_traced(Recording& r, const at::RecordFunction& fn, const HeldInputs& held) {
  TracedOp op{fn.name(), held.module, held.site, {}, {}, false,
              op_is(fn, "aten::masked_select") || (op_is(fn, "aten::index") && boolean_index(held.inputs))};
  if ((*r.summarise)(op.op)) op.inputs = summarize_args(held.inputs);
  for (const auto* impl : tensor_impls(held.inputs)) {
    const auto* p = producer_of(r, impl);
    op.from.push_back(p == nullptr ? -1 : p->traced);
  }
  const auto outputs = fn.outputs();
  op.requires_grad = !outputs.empty() && outputs.front().isTensor() && outputs.front().toTensor().defined() &&
                     outputs.front().toTensor().requires_grad();
  r.trace->push_back(std::move(op));
  record_production(r, fn, held, static_cast<int64_t>(r.trace->size()) - 1);
}

NonFiniteOp describe(const Recording& r, const HeldInputs& held, const torch::Tensor& output) {
  NonFiniteOp op;
  std::vector<std::string> names;
  const Frame* node = nullptr;  // the innermost backward node, if any
  for (const auto& f : r.ops) {
    if (f.kind != FrameKind::EngineWrapper) names.push_back(f.name);
    if (f.kind == FrameKind::Node) node = &f;
  }
  op.chain = fmt::format("{}", fmt::join(names, " > "));
  op.direction = node ? "backward" : "forward";
  op.op = node ? node->name : names.front();
  if (node) {
    const auto it = r.module_of_seq.find(node->seq);
    op.module = it == r.module_of_seq.end() ? "" : it->second;
    if (const auto site = r.site_of_seq.find(node->seq); site != r.site_of_seq.end()) op.site = site->second;
  } else {
    op.module = held.module;
    op.site = held.site;
  }
  if (const auto it = r.recent_ops.find(op.module); it != r.recent_ops.end()) {
    op.earlier_ops.assign(it->second.begin(), it->second.end());
    if (!node && !op.earlier_ops.empty()) op.earlier_ops.pop_back();  // the operator itself
  }
  if (!node) op.producers = producers_of(r, tensor_impls(held.inputs));
  op.inputs = summarize_args(held.inputs);
  op.output = summarize(output);
  return op;
}

void record_end(const at::RecordFunction& fn, at::ObserverContext* context) {
  if (recording == nullptr) return;
  at::DisableRecordFunctionGuard quiet;
  auto& r = *recording;
  if (fn.scope() == at::RecordScope::USER_SCOPE) {
    if (!r.modules.empty()) r.modules.pop_back();
    return;
  }
  if (r.trace != nullptr && context != nullptr) {
    const auto& held = static_cast<const HeldInputs&>(*context);
    if (held.forward) record_traced(r, fn, held);
  } else if (!r.found && context != nullptr) {
    torch::NoGradGuard no_grad;
    const auto& held = static_cast<const HeldInputs&>(*context);
    for (const auto& v : fn.outputs()) {
      if (v.isTensor() && !finite(v.toTensor())) {
        r.found = describe(r, held, v.toTensor());
        break;
      }
    }
    if (!r.found && held.forward) record_production(r, fn, held);
  }
  if (!r.ops.empty()) r.ops.pop_back();
}

}  // namespace

std::string CallSite::text() const { return fmt::format("{}:{} ({})", file, line, function); }

std::string Producer::text() const {
  auto out = module.empty() ? op : op + " in " + module;
  return site ? out + " at " + site->text() : out;
}

std::vector<std::string> NonFiniteOp::producer_texts() const {
  std::vector<std::string> out;
  for (const auto& p : producers) out.push_back(p.text());
  return out;
}

std::string scope_of_call(const CallSite& site) {
  auto name = site.function;
  for (auto at = name.find("<locals>."); at != std::string::npos; at = name.find("<locals>.")) name.erase(at, 9);
  const std::string forward = ".forward";
  if (name.size() > forward.size() && name.compare(name.size() - forward.size(), forward.size(), forward) == 0) {
    name.resize(name.size() - forward.size());
  }
  const auto last = name.substr(name.rfind('.') == std::string::npos ? 0 : name.rfind('.') + 1);
  return name.empty() || last == "<lambda>" || last == "<module>" ? "loss" : name;
}

namespace {

// Runs `fn` with the recorder's callbacks installed for `r`.
void record(Recording& r, const std::function<void()>& fn) {
  recording = &r;
  const auto handle = at::addThreadLocalCallback(
      at::RecordFunctionCallback(record_start, record_end)
          .needsInputs(true)
          .needsOutputs(true)
          .scopes({at::RecordScope::FUNCTION, at::RecordScope::BACKWARD_FUNCTION, at::RecordScope::USER_SCOPE}));
  try {
    fn();
  } catch (...) {
    at::removeCallback(handle);
    recording = nullptr;
    throw;
  }
  at::removeCallback(handle);
  recording = nullptr;
}

}  // namespace

std::optional<NonFiniteOp> first_nonfinite_op(const std::function<void()>& fn, const CallSiteFinder& find_site) {
  Recording r;
  r.find_site = &find_site;
  record(r, fn);
  return r.found;
}

std::vector<TracedOp> trace_forward_ops(const std::function<void()>& fn,
                                        const std::function<bool(const std::string&)>& summarise,
                                        const CallSiteFinder& find_site) {
  std::vector<TracedOp> trace;
  Recording r;
  r.find_site = &find_site;
  r.trace = &trace;
  r.summarise = &summarise;
  record(r, fn);
  return trace;
}

}  // namespace depthguard
