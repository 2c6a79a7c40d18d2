#include "python_logging_sink.h"

#include <string>

#include <pybind11/pybind11.h>

#include "depthguard/core/log.h"

namespace depthguard::python {

namespace {

// Python's logging level of a depthguard level.
int logging_level(LogLevel level) {
  switch (level) {
    case LogLevel::Debug: return 10;
    case LogLevel::Info: return 20;
    case LogLevel::Warn: return 30;
    case LogLevel::Error: return 40;
  }
  return 50;
}

// Each message takes the GIL: the sentinel's calls run without it.
void to_python_logging(LogLevel level, const std::string& text) {
  if (level == LogLevel::Debug || !Py_IsInitialized()) return;  // debug: per overflow; exit: no interpreter
  pybind11::gil_scoped_acquire gil;
  try {
    pybind11::module_::import("logging").attr("getLogger")("depthguard").attr("log")(logging_level(level), text);
  } catch (const pybind11::error_already_set& e) {  // a handler failed: as logging does, do not raise
    PyErr_Clear();
  }
}

}  // namespace

void log_to_python_logging() { set_log_sink(to_python_logging); }

}  // namespace depthguard::python
