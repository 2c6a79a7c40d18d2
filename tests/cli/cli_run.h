#pragma once
// Runs the depthguard binary as a user does and captures what it prints.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <sys/wait.h>

#include "test_paths.h"
#include "test_support.h"

namespace depthguard {

struct CliRun {
  int exit_code;
  std::string output;  // stdout and stderr
};

/// Runs `program` with `args` through the shell.
inline CliRun run_program(const std::string& program, const std::string& args) {
  const std::string command = program + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::string output;
  char buffer[4096];
  while (fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

inline CliRun run_cli(const std::string& args) { return run_program(DEPTHGUARD_CLI, args); }

/// Waits until `path` holds at least `lines` lines (a run's metrics.jsonl showing that
/// training is under way, before a test interrupts it); false when it still does not after
/// 120 s, far beyond a start on a loaded machine, so that a test fails there instead of
/// going on with a run that has not started.
[[nodiscard]] inline bool wait_for_lines(const std::string& path, int lines) {
  for (int i = 0; i < 12000; ++i) {
    std::ifstream in(path);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) ++n;
    if (n >= lines) return true;
    usleep(10000);
  }
  return false;
}

}  // namespace depthguard
