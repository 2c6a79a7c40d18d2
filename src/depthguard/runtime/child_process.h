#pragma once
// Running another program (the study runs one depthguard process per training run).
#include <string>
#include <vector>

namespace depthguard {

/// Runs `argv` (argv[0] is the program's path) with stdout and stderr appended to
/// `log_path`, waits for it and returns its exit code; 128 + N when signal N ended it.
/// The child stays in this process group, so a Ctrl-C reaches it too (depthguard train
/// then saves its checkpoint). Throws std::runtime_error naming the program when it cannot
/// be started or the log cannot be opened.
int run_child(const std::vector<std::string>& argv, const std::string& log_path);

/// The path of the running executable (/proc/self/exe).
std::string current_executable();

}  // namespace depthguard
