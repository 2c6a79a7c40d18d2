#pragma once
// Runs the depthguard binary as a user does and captures what it prints.
#include <cstdio>
#include <string>

#include <sys/wait.h>

#include "test_support.h"

namespace depthguard {

struct CliRun {
  int exit_code;
  std::string output;  // stdout and stderr
};

inline CliRun run_cli(const std::string& args) {
  const std::string command = std::string(DEPTHGUARD_CLI) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::string output;
  char buffer[4096];
  while (fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

}  // namespace depthguard
