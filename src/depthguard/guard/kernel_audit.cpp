#include "depthguard/guard/kernel_audit.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/record_function.h>
#include <c10/core/impl/LocalDispatchKeySet.h>
#include <c10/util/accumulate.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include "depthguard/guard/generator_keeper.h"
#include "depthguard/guard/kernel_error_bound.h"
#include "depthguard/guard/vulnerable_forms.h"
#include "depthguard/runtime/cpu_kernels.h"

namespace depthguard {

namespace {

// The operators checked, by what their outputs are: sums of products of the inputs (whose
// scale is the same operator on |inputs|), or normalisations (whose scale is the output).
enum class Family { Convolution, ConvolutionBackward, Matmul, Reduction, Normalization, Softmax };

const std::map<std::string, Family>& checked_ops() {
  static const std::map<std::string, Family> ops{
      {"aten::convolution", Family::Convolution},
      {"aten::convolution_backward", Family::ConvolutionBackward},
      {"aten::mm", Family::Matmul},
      {"aten::addmm", Family::Matmul},
      {"aten::bmm", Family::Matmul},
      {"aten::baddbmm", Family::Matmul},
      {"aten::sum", Family::Reduction},
      {"aten::mean", Family::Reduction},
      {"aten::native_batch_norm", Family::Normalization},
      {"aten::_native_batch_norm_legit", Family::Normalization},
      {"aten::native_layer_norm", Family::Normalization},
      {"aten::native_group_norm", Family::Normalization},
      {"aten::_softmax", Family::Softmax},
      {"aten::_log_softmax", Family::Softmax},
  };
  return ops;
}

std::optional<Family> family_of(const std::string& name) {
  const auto it = checked_ops().find(name);
  return it == checked_ops().end() ? std::nullopt : std::optional<Family>(it->second);
}

// One open record on this thread: a module scope, a backward node, or an operator (checked
// or not: the operators inside a checked one are its implementation).
enum class RecordKind { Scope, Node, Op };
struct OpenRecord {
  RecordKind kind;
  std::string name;
  int64_t seq = -1;
  bool checked = false;
};

// What every thread of the step shares: a backward pass may run on autograd's device
// threads, which inherit the callbacks (LibTorch propagates them with the thread-local state).
struct Audit {
  std::mutex mutex;
  std::unordered_map<int64_t, std::string> module_of_seq;
  std::vector<AuditFinding> findings;
  int64_t checked = 0;
  int64_t unchecked = 0;         // operators whose reference could not be run
  std::string first_unchecked;   // the first of them, with the reason
};

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }
std::atomic<Audit*> active_audit{nullptr};
thread_local std::vector<OpenRecord> open_records;

// A checked operator's inputs as the kernel saw them, copied before it ran (so an in-place
// update of a running statistic cannot reach them), and where it ran.
struct HeldOp : at::ObserverContext {
  Family family;
  c10::OperatorName name{"", ""};
  std::vector<c10::IValue> inputs;
  std::string direction, node, where;
};

std::string joined_scopes() {
  std::vector<std::string> names;
  for (const auto& f : open_records) {
    if (f.kind == RecordKind::Scope) names.push_back(f.name);
  }
  return fmt::format("{}", fmt::join(names, "."));
}

const OpenRecord* innermost_record(RecordKind kind) {
  for (auto it = open_records.rbegin(); it != open_records.rend(); ++it) {
    if (it->kind == kind) return &*it;
  }
  return nullptr;
}

c10::IValue detached(const c10::IValue& v) {
  if (!v.isTensor() || !v.toTensor().defined()) return v;
  return v.toTensor().detach().clone();
}

std::unique_ptr<at::ObserverContext> audit_start(const at::RecordFunction& fn) {
  Audit* audit = active_audit.load();
  if (audit == nullptr) return nullptr;
  at::DisableRecordFunctionGuard quiet;
  if (fn.scope() == at::RecordScope::USER_SCOPE) {
    open_records.push_back({RecordKind::Scope, fn.name()});
    return nullptr;
  }
  if (fn.scope() == at::RecordScope::BACKWARD_FUNCTION) {
    open_records.push_back({RecordKind::Node, fn.name(), fn.seqNr()});
    return nullptr;
  }
  const std::string name = fn.name();
  const bool inside_checked = std::any_of(open_records.begin(), open_records.end(), [](const OpenRecord& f) { return f.checked; });
  const bool top = innermost_record(RecordKind::Op) == nullptr;
  const OpenRecord* node = innermost_record(RecordKind::Node);
  if (top && node == nullptr && fn.seqNr() >= 0) {
    std::lock_guard lock(audit->mutex);
    audit->module_of_seq[fn.seqNr()] = joined_scopes();
  }
  const auto family = family_of(name);
  const auto op_name = fn.operator_name();
  const bool check = family && !inside_checked && op_name.has_value();
  open_records.push_back({RecordKind::Op, name, fn.seqNr(), check});
  if (!check) return nullptr;
  auto held = std::make_unique<HeldOp>();
  held->family = *family;
  held->name = *op_name;
  try {
    torch::NoGradGuard no_grad;
    for (const auto& v : fn.inputs()) held->inputs.push_back(detached(v));
  } catch (const c10::Error&) {
    open_records.back().checked = false;  // an operator that records no inputs
    return nullptr;
  }
  held->direction = node ? "backward" : "forward";
  if (node) {
    held->node = node->name;
    std::lock_guard lock(audit->mutex);
    const auto it = audit->module_of_seq.find(node->seq);
    if (it != audit->module_of_seq.end()) held->where = it->second;
  } else {
    held->where = joined_scopes();
  }
  return held;
}

// ---- The float64 reference ------------------------------------------------------------

bool strided_floating(const at::Tensor& t) {
  return t.defined() && t.layout() == c10::kStrided && t.is_floating_point();
}

// The operator's arguments for the reference: tensors in float64 on the CPU (|t| for the
// scale run), a requested output dtype as float64, half_to_float off.
std::vector<c10::IValue> reference_arguments(const HeldOp& held, const c10::FunctionSchema& schema, bool absolute) {
  std::vector<c10::IValue> args;
  for (size_t i = 0; i < held.inputs.size(); ++i) {
    const auto& v = held.inputs[i];
    const auto& arg_name = i < schema.arguments().size() ? schema.arguments()[i].name() : std::string();
    if (v.isTensor() && v.toTensor().defined()) {
      auto t = v.toTensor().to(torch::kCPU, torch::kDouble).contiguous();
      args.emplace_back(absolute ? t.abs() : t);
    } else if (arg_name == "dtype" && !v.isNone()) {
      args.emplace_back(c10::kDouble);
    } else if (arg_name == "half_to_float") {
      args.emplace_back(false);
    } else if (absolute && v.isDouble()) {  // addmm's alpha and beta
      args.emplace_back(std::abs(v.toDouble()));
    } else {
      args.push_back(v);
    }
  }
  return args;
}

std::vector<c10::IValue> run_boxed(const c10::OperatorHandle& op, std::vector<c10::IValue> args) {
  torch::jit::Stack stack(std::move(args));
  op.callBoxed(&stack);
  return stack;
}

int64_t spatial(const at::Tensor& t) {
  int64_t n = 1;
  for (int64_t d = 2; d < t.dim(); ++d) n *= t.size(d);
  return n;
}

// The length of the sums behind output `index`.
int64_t reduction_length(const HeldOp& held, size_t index, const at::Tensor& out) {
  const auto& in = held.inputs;
  const auto tensor = [&](size_t i) { return in[i].toTensor(); };
  switch (held.family) {
    case Family::Convolution: {
      const auto w = tensor(1);
      const int64_t groups = in[8].toInt();
      const bool bias = in[2].isTensor() && in[2].toTensor().defined();
      return (in[6].toBool() ? w.size(0) / groups : w.size(1)) * spatial(w) + (bias ? 1 : 0);
    }
    case Family::ConvolutionBackward: {
      const auto grad = tensor(0), input = tensor(1), w = tensor(2);
      const int64_t groups = in[9].toInt();
      if (index == 0) return (in[7].toBool() ? w.size(1) : w.size(0) / groups) * spatial(w);
      return grad.size(0) * std::max(spatial(grad), spatial(input));
    }
    case Family::Matmul: {
      const bool with_self = held.name.name == "aten::addmm" || held.name.name == "aten::baddbmm";
      const auto a = tensor(with_self ? 1 : 0);
      return a.size(a.dim() - 1) + (with_self ? 1 : 0);
    }
    case Family::Reduction: return tensor(0).numel() / std::max<int64_t>(out.numel(), 1);
    case Family::Normalization: {
      const auto x = tensor(0);
      if (held.name.name == "aten::native_layer_norm") return c10::multiply_integers(in[1].toIntVector());
      if (held.name.name == "aten::native_group_norm") return in[4].toInt() / in[7].toInt() * in[5].toInt();
      return x.numel() / std::max<int64_t>(x.dim() > 1 ? x.size(1) : 1, 1);
    }
    case Family::Softmax: {
      const auto x = tensor(0);
      return x.dim() == 0 ? 1 : x.size(c10::maybe_wrap_dim(in[1].toInt(), x.dim()));
    }
  }
  return 1;
}

// How much a normalisation amplifies the error of its statistics: max |mean| / std over the
// groups it normalises (x - mean cancels where the mean is far from 0 against the spread).
// Computed in float64 from the input, the groups as the operator forms them.
double normalization_condition(const HeldOp& held) {
  const auto x = held.inputs[0].toTensor().to(torch::kCPU, torch::kDouble);
  const auto& name = held.name.name;
  torch::Tensor groups;  // [groups, elements]
  double eps = 1e-5;
  if (name == "aten::native_layer_norm") {
    const auto k = c10::multiply_integers(held.inputs[1].toIntVector());
    groups = x.reshape({-1, k});
    eps = held.inputs[4].toDouble();
  } else if (name == "aten::native_group_norm") {
    groups = x.reshape({held.inputs[3].toInt() * held.inputs[6].toInt(), -1});
    eps = held.inputs[7].toDouble();
  } else {  // batch norm: per channel, over the batch and the pixels
    groups = x.transpose(0, 1).reshape({x.size(1), -1});
    eps = held.inputs.back().toDouble();
  }
  if (groups.numel() == 0) return 0.0;
  const auto mean = groups.mean(1);
  const auto spread = (groups.var(1, /*unbiased=*/false) + eps).sqrt();
  return (mean.abs() / spread).max().item<double>();
}

// The roundings an output element goes through after its sums (kernel_error_bound).
int64_t steps_of(Family family) {
  switch (family) {
    case Family::Normalization: return 8;
    case Family::Softmax: return 4;
    default: return 1;
  }
}

std::string output_name(Family family, size_t index) {
  if (family == Family::ConvolutionBackward) {
    static const char* names[] = {"grad_input", "grad_weight", "grad_bias"};
    return index < 3 ? names[index] : "output " + std::to_string(index);
  }
  return index == 0 ? "output" : "output " + std::to_string(index);
}

bool channels_last_input(const c10::IValue& v) {
  if (!v.isTensor() || !v.toTensor().defined()) return false;
  const auto& t = v.toTensor();
  return !t.is_contiguous() && ((t.dim() == 4 && t.is_contiguous(at::MemoryFormat::ChannelsLast)) ||
                                (t.dim() == 5 && t.is_contiguous(at::MemoryFormat::ChannelsLast3d)));
}

// The layout the kernel ran in: channels-last when any input is (LibTorch then computes the
// whole operator channels-last), else the first tensor's.
std::string layout_of(const HeldOp& held, const at::Tensor& first) {
  if (std::any_of(held.inputs.begin(), held.inputs.end(), channels_last_input)) return "channels_last";
  return first.is_contiguous() ? "contiguous" : "strided";
}

// torch's name of a dtype ("float32"), as a PyTorch user writes it.
std::string torch_dtype_name(c10::ScalarType t) {
  switch (t) {
    case c10::kFloat: return "float32";
    case c10::kDouble: return "float64";
    case c10::kHalf: return "float16";
    case c10::kBFloat16: return "bfloat16";
    default: return c10::toString(t);
  }
}

std::string tensor_arguments(const HeldOp& held, const c10::FunctionSchema& schema) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < held.inputs.size() && i < schema.arguments().size(); ++i) {
    const auto& v = held.inputs[i];
    if (v.isTensor() && v.toTensor().defined()) {
      parts.push_back(fmt::format("{} [{}]", schema.arguments()[i].name(), fmt::join(v.toTensor().sizes(), ", ")));
    }
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

bool uses_tf32(const HeldOp& held, const at::Tensor& first) {
  if (!first.is_cuda() || first.scalar_type() != c10::kFloat) return false;
  const bool conv = held.family == Family::Convolution || held.family == Family::ConvolutionBackward;
  return conv ? at::globalContext().allowTF32CuDNN() : at::globalContext().allowTF32CuBLAS();
}

// oneDNN issue #6035: a 1x1 convolution with a stride above 1, channels-last tensors and fewer
// input channels than the family's block (8 on AVX2, 16 on AVX-512) writes past its workspace
// in backward weights.
bool onednn_6035(const AuditFinding& f, const HeldOp& held) {
  if (held.family != Family::ConvolutionBackward || f.device != "cpu" || f.layout != "channels_last") return false;
  const auto w = held.inputs[2].toTensor();
  const auto stride = held.inputs[4].toIntVector();
  const bool pointwise = spatial(w) == 1;
  const bool strided = std::any_of(stride.begin(), stride.end(), [](int64_t s) { return s > 1; });
  const int64_t block = cpu_kernels() == CpuKernels::Avx512 ? 16 : 8;
  return pointwise && strided && w.size(1) * held.inputs[9].toInt() < block;
}

std::string fix_for(const AuditFinding& f, const HeldOp& held) {
  if (onednn_6035(f, held)) {
    return "oneDNN issue #6035 (a 1x1 convolution with stride > 1, channels-last and fewer input channels than the "
           "kernels' block, 8 on AVX2 and 16 on AVX-512, computes its weight gradient wrong and writes past its "
           "buffer): run this convolution "
           "in NCHW, F.conv2d(x.contiguous(), conv.weight.contiguous(), conv.bias, conv.stride) "
           "(depthguard's models do), or train in NCHW (model.to(memory_format=torch.contiguous_format); "
           "depthguard: train.channels_last: false), or leave oneDNN out: torch.backends.mkldnn.enabled = False "
           "or ONEDNN_MAX_CPU_ISA=SSE41 (slower)";
  }
  if (f.device != "cpu") {
    return "a " + f.device + " kernel computes wrong: try torch.backends.cudnn.enabled = False (convolutions) or "
           "the other memory layout for this operator, and report the operator and shapes above to PyTorch";
  }
  return "a CPU kernel computes wrong on this machine (" + describe_cpu_kernels() +
         "): try the other memory layout for this operator (x.contiguous() or channels_last; depthguard: "
         "train.channels_last), or torch.backends.mkldnn.enabled = False to leave oneDNN out, and report the "
         "operator and shapes above to oneDNN or PyTorch";
}

void compare_with_reference(Audit& audit, const HeldOp& held, const at::RecordFunction& fn) {
  const auto& op = c10::Dispatcher::singleton().findSchemaOrThrow(held.name.name.c_str(), held.name.overload_name.c_str());
  std::vector<at::Tensor> outputs;
  for (const auto& v : fn.outputs()) outputs.push_back(v.isTensor() ? v.toTensor() : at::Tensor());
  const auto first_input = std::find_if(held.inputs.begin(), held.inputs.end(),
                                        [](const c10::IValue& v) { return v.isTensor() && v.toTensor().defined(); });
  if (first_input == held.inputs.end()) return;
  const auto first = first_input->toTensor();
  const bool any_checkable = std::any_of(outputs.begin(), outputs.end(), strided_floating);
  if (!any_checkable || !strided_floating(first)) return;

  torch::NoGradGuard no_grad;
  c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
  const auto& schema = op.schema();
  const auto ref = run_boxed(op, reference_arguments(held, schema, false));
  const bool bilinear = held.family != Family::Normalization && held.family != Family::Softmax;
  auto scale = bilinear ? run_boxed(op, reference_arguments(held, schema, true)) : ref;
  if (held.family == Family::Normalization) {
    scale[0] = ref[0].toTensor().abs() * (1 + normalization_condition(held));
  }
  // Normalisations: the normalised output only (the saved statistics feed the backward).
  const size_t compared = held.family == Family::Normalization ? 1 : outputs.size();
  std::lock_guard lock(audit.mutex);
  ++audit.checked;
  for (size_t i = 0; i < compared && i < ref.size(); ++i) {
    if (!strided_floating(outputs[i]) || !ref[i].isTensor() || !ref[i].toTensor().defined()) continue;
    const auto k = reduction_length(held, i, outputs[i]);
    const double bound = kernel_error_bound(k, outputs[i].scalar_type(), uses_tf32(held, first), steps_of(held.family));
    const double error = normwise_error(outputs[i], ref[i].toTensor(), scale[i].toTensor());
    if (error <= bound) continue;
    AuditFinding f;
    f.kind = "device_kernel";
    f.op = held.name.name;
    f.direction = held.direction;
    f.node = held.node;
    f.where = held.where;
    f.output = output_name(held.family, i);
    f.inputs = tensor_arguments(held, schema);
    f.dtype = torch_dtype_name(first.scalar_type());
    f.layout = layout_of(held, first);
    f.device = first.device().str();
    f.reduction_length = k;
    f.measured = error;
    f.bound = bound;
    f.fix = fix_for(f, held);
    audit.findings.push_back(std::move(f));
  }
}

void audit_end(const at::RecordFunction& fn, at::ObserverContext* context) {
  Audit* audit = active_audit.load();
  if (audit == nullptr) return;
  at::DisableRecordFunctionGuard quiet;
  if (context != nullptr) {
    // LibTorch would only print a callback's exception: count it where the report shows it.
    try {
      compare_with_reference(*audit, static_cast<const HeldOp&>(*context), fn);
    } catch (const std::exception& e) {
      std::lock_guard lock(audit->mutex);
      if (audit->unchecked++ == 0) {
        audit->first_unchecked = static_cast<const HeldOp&>(*context).name.name + ": " + first_line(e.what());
      }
    }
  }
  if (!open_records.empty()) open_records.pop_back();
}

}  // namespace

AuditReport audit_kernels(const std::function<void()>& step) {
  const auto start = std::chrono::steady_clock::now();
  Audit audit;
  Audit* expected = nullptr;
  if (!active_audit.compare_exchange_strong(expected, &audit)) throw std::logic_error("audit_kernels: an audit runs already");
  open_records.clear();
  const auto handle = at::addThreadLocalCallback(
      at::RecordFunctionCallback(audit_start, audit_end)
          .needsInputs(true)
          .needsOutputs(true)
          .scopes({at::RecordScope::FUNCTION, at::RecordScope::BACKWARD_FUNCTION, at::RecordScope::USER_SCOPE}));
  const auto finish = [&] {
    at::removeCallback(handle);
    active_audit.store(nullptr);
    open_records.clear();
  };
  try {
    step();
  } catch (...) {
    finish();
    throw;
  }
  finish();
  AuditReport report;
  report.findings = std::move(audit.findings);
  report.ops_checked = audit.checked;
  report.ops_unchecked = audit.unchecked;
  report.first_unchecked = audit.first_unchecked;
  report.kernels = describe_cpu_kernels();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

AuditReport audit_step(const std::vector<at::Tensor>& parameters, const std::vector<at::Tensor>& buffers,
                       const std::function<void()>& step, const FormsCheck& forms) {
  torch::NoGradGuard no_grad_for_copies;
  std::vector<at::Tensor> saved_buffers, saved_grads;
  for (const auto& b : buffers) saved_buffers.push_back(b.detach().clone());
  for (const auto& p : parameters) saved_grads.push_back(p.grad().defined() ? p.grad().detach().clone() : at::Tensor());
  const GeneratorKeeper generators;
  const auto put_back = [&] {
    for (size_t i = 0; i < buffers.size(); ++i) buffers[i].detach().copy_(saved_buffers[i]);
    for (size_t i = 0; i < parameters.size(); ++i) {
      auto p = parameters[i];
      p.mutable_grad() = saved_grads[i];
    }
  };
  AuditReport report;
  try {
    at::AutoGradMode grad_on(true);
    std::vector<TracedOp> trace;
    report = audit_kernels([&] { trace = trace_forward_ops(step, summarised_for_forms, forms.find_site); });
    report.forms = find_vulnerable_forms(trace, forms.terms);
  } catch (...) {
    put_back();
    throw;
  }
  put_back();
  return report;
}

}  // namespace depthguard
