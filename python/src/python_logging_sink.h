#pragma once
// The C++ library's log (spdlog: the sentinel's warnings, the forensics report) as records of
// Python's `logging`, logger "depthguard", so that a script's logging configuration filters,
// formats and routes them like its own.
namespace depthguard::python {

/// Makes the default spdlog logger write to logging.getLogger("depthguard") only, at
/// spdlog's info level and above (info, warning, error, critical). Called once, at import.
void log_to_python_logging();

}  // namespace depthguard::python
