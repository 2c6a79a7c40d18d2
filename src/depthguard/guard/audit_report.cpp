#include "depthguard/guard/audit_report.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace depthguard {

std::string AuditFinding::text() const {
  const auto place = where.empty() ? std::string("outside every module") : "in " + where;
  return fmt::format(
      "[{}] {} ({}{}) {}\n"
      "  {} off by {:.3g} of its scale; a correct {} kernel is off by at most {:.3g} (sums of {} terms)\n"
      "  {}; {}, {}, {}\n"
      "  fix: {}\n",
      kind, op, direction, node.empty() ? "" : " in " + node, place, output, measured, dtype, bound,
      reduction_length, inputs, dtype, layout, device, fix);
}

nlohmann::json AuditFinding::json() const {
  return {{"kind", kind},       {"operator", op},   {"direction", direction},
          {"node", node},       {"where", where},   {"output", output},
          {"inputs", inputs},   {"dtype", dtype},   {"layout", layout},
          {"device", device},   {"reduction_length", reduction_length},
          {"measured", measured}, {"bound", bound}, {"fix", fix}};
}

std::string AuditReport::text() const {
  auto out = fmt::format("depthguard audit: {} operators of one training step re-run in float64 on the CPU ({}; "
                         "{:.1f} s): {}\n",
                         ops_checked, kernels, seconds,
                         findings.empty() ? std::string("no finding")
                                          : fmt::format("{} finding{}", findings.size(), findings.size() == 1 ? "" : "s"));
  if (ops_unchecked > 0) {
    out += fmt::format("{} operator{} not checked: their float64 re-run failed (the first, {})\n", ops_unchecked,
                       ops_unchecked == 1 ? "" : "s", first_unchecked);
  }
  for (const auto& f : findings) out += "\n" + f.text();
  out += forms.empty() ? "\nforms: none of the paper's vulnerable forms in this step\n"
                       : fmt::format("\nforms: {} vulnerable form{} in this step, before any NaN\n", forms.size(),
                                     forms.size() == 1 ? "" : "s");
  for (const auto& f : forms) out += "\n" + f.text();
  return out;
}

nlohmann::json AuditReport::json() const {
  auto list = nlohmann::json::array(), form_list = nlohmann::json::array();
  for (const auto& f : findings) list.push_back(f.json());
  for (const auto& f : forms) form_list.push_back(f.json());
  return {{"ops_checked", ops_checked}, {"ops_unchecked", ops_unchecked}, {"first_unchecked", first_unchecked},
          {"kernels", kernels},         {"seconds", seconds},             {"findings", list},
          {"forms", form_list}};
}

}  // namespace depthguard
