#pragma once
// The C++ guard tier's log (core/log.h: the sentinel's warnings, the forensics report) as records of
// Python's `logging`, logger "depthguard", so that a script's logging configuration filters,
// formats and routes them like its own.
namespace depthguard::python {

/// Sends the guard tier's messages to logging.getLogger("depthguard") only, info and above
/// (info, warning, error). Called once, at import.
void log_to_python_logging();

}  // namespace depthguard::python
