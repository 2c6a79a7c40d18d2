#include "numerics_command.h"

#include <fmt/format.h>

#include "depthguard/report/vulnerability_demo.h"

namespace depthguard {

namespace {

std::string cell(double v) { return fmt::format("{:>12.6g}", v); }

void print_table(const DemoTable& t) {
  fmt::print("{}  {}\n", t.id, t.title);
  fmt::print("    vulnerable: {}\n    guideline:  {}\n", t.vulnerable_form, t.guideline_form);
  fmt::print("    value = {}, grad = max |gradient| over the input\n", t.quantity);
  std::size_t width = 5;
  for (const auto& r : t.rows) width = std::max(width, r.input.size());
  fmt::print("    {:<{}} | {:>12} {:>12} | {:>12} {:>12}\n", "input", width, "vuln value",
             "vuln grad", "guide value", "guide grad");
  for (const auto& r : t.rows) {
    fmt::print("    {:<{}} | {} {} | {} {}\n", r.input, width, cell(r.vulnerable.value),
               cell(r.vulnerable.grad), cell(r.guideline.value), cell(r.guideline.grad));
  }
  fmt::print("\n");
}

}  // namespace

void add_numerics_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "numerics", "Demonstrate the paper's three NaN vulnerabilities and their guideline forms");
  cmd->callback([] {
    for (const auto& table : vulnerability_demo()) print_table(table);
  });
}

}  // namespace depthguard
