#include "report_command.h"

#include <iostream>
#include <memory>
#include <string>

#include "depthguard/report/html/html_report.h"

namespace depthguard {

void add_report_command(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("report", "Write PATH/report.html for a training run or a study (opens in any browser)");
  cmd->add_option("path", *path, "A run directory (train --out) or a study directory (study --out)")->required();
  cmd->callback([path] { std::cout << write_html_report(*path) << "\n"; });
}

}  // namespace depthguard
