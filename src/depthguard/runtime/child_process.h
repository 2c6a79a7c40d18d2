#pragma once
// Running another program (the study runs one depthguard process per training run).
#include <string>
#include <vector>

namespace depthguard {

/// Runs `argv` (argv[0] is the program's path) with stdout and stderr appended to
/// `log_path` (empty: this process's own), waits for it and returns its exit code; 128 + N when signal N ended it.
/// The child stays in this process group, so a Ctrl-C reaches it too (depthguard train
/// then saves its checkpoint), and is told to end with this process (exit_with_parent).
/// Throws std::runtime_error naming the program when it cannot be started or the log
/// cannot be opened. `environment` ("NAME=value") is added to this process's.
int run_child(const std::vector<std::string>& argv, const std::string& log_path,
              const std::vector<std::string>& environment = {});

/// In a process that run_child started: asks the kernel for SIGTERM when the parent dies
/// (PR_SET_PDEATHSIG), so a study killed outright (kill -9) does not leave its trainings
/// running; depthguard train saves its checkpoint on SIGTERM. Does nothing in a process
/// that run_child did not start. Call first thing in main().
void exit_with_parent();

/// The path of the running executable (/proc/self/exe).
std::string current_executable();

}  // namespace depthguard
