// depthguard: one command line, one subcommand per job.
#include <iostream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <c10/util/Exception.h>
#include <spdlog/spdlog.h>

#include "number_checks.h"
#include "depthguard/core/errors.h"
#include "depthguard/core/exit_codes.h"
#include "depthguard/core/log.h"
#include "depthguard/core/version.h"
#include "depthguard/runtime/allocator.h"
#include "depthguard/runtime/child_process.h"
#include "depthguard/runtime/threads.h"
#include "audit_command.h"
#include "diagnose_command.h"
#include "eval_command.h"
#include "numerics_command.h"
#include "predict_command.h"
#include "report_command.h"
#include "study_command.h"
#include "synth_command.h"
#include "train_command.h"

namespace {

// The guard tier's messages (core/log.h) in the CLI's one log, at its --log-level.
void log_guard_through_spdlog() {
  depthguard::set_log_sink([](depthguard::LogLevel level, const std::string& message) {
    switch (level) {
      case depthguard::LogLevel::Debug: spdlog::debug("{}", message); break;
      case depthguard::LogLevel::Info: spdlog::info("{}", message); break;
      case depthguard::LogLevel::Warn: spdlog::warn("{}", message); break;
      case depthguard::LogLevel::Error: spdlog::error("{}", message); break;
    }
  });
}

// The first word left over where a command was expected ("depthguard frobnicate"), none when
// a command was given or only options were left.
std::optional<std::string> unknown_command(CLI::App& app) {
  if (!app.get_subcommands().empty()) return std::nullopt;
  for (const auto& word : app.remaining()) {
    if (!word.empty() && word.front() != '-') return word;
  }
  return std::nullopt;
}

std::string command_names(CLI::App& app) {
  std::string names;
  for (const auto* command : app.get_subcommands({})) names += (names.empty() ? "" : ", ") + command->get_name();
  return names;
}

}  // namespace

int main(int argc, char** argv) {
  depthguard::exit_with_parent();  // a study's training ends with the study, even on kill -9
  CLI::App app{"depthguard: monocular depth training that never silently diverges to NaN"};
  app.require_subcommand(1);
  log_guard_through_spdlog();
  app.set_version_flag("--version", std::string("depthguard ") + depthguard::build_version());
  int threads = 0;
  app.add_option("--threads", threads, "Intra-op threads (default: all cores)")
      ->check(depthguard::non_negative());
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.parse_complete_callback([&] {
    spdlog::set_level(spdlog::level::from_str(log_level));
    spdlog::info("using {} intra-op thread(s), malloc: {}", depthguard::configure_threads(threads),
                 depthguard::active_allocator());
  });

  depthguard::add_numerics_command(app);
  depthguard::add_synth_command(app);
  depthguard::add_train_command(app);
  depthguard::add_eval_command(app);
  depthguard::add_predict_command(app);
  depthguard::add_diagnose_command(app);
  depthguard::add_audit_command(app);
  depthguard::add_study_command(app);
  depthguard::add_report_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (const auto word = unknown_command(app)) {
      std::cerr << "depthguard: '" << *word << "' is not a command; the commands are " << command_names(app)
                << " (depthguard --help)\n";
      return depthguard::exit_code::kUsage;
    }
    return app.exit(e);
  } catch (const depthguard::ConfigError& e) {  // before InvalidArgument, its base
    spdlog::error("config: {}", e.what());
    return depthguard::exit_code::kUsage;
  } catch (const depthguard::InvalidArgument& e) {
    spdlog::error("{}", e.what());
    return depthguard::exit_code::kUsage;
  } catch (const depthguard::NonFiniteHalt& e) {
    spdlog::error("stopped by the NaN sentinel: {}", e.what());
    return depthguard::exit_code::kNonFinite;
  } catch (const depthguard::Interrupted& e) {
    spdlog::warn("{}", e.what());
    return depthguard::exit_code::kInterrupted;
  } catch (const c10::Error& e) {  // LibTorch's: the message first, its C++ backtrace at debug level
    spdlog::error("{}", e.what_without_backtrace());
    spdlog::debug("{}", e.what());
    return depthguard::exit_code::kError;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return depthguard::exit_code::kError;
  }
  return depthguard::exit_code::kOk;
}
