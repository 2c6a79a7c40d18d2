#include "python_logging_sink.h"

#include <memory>
#include <mutex>
#include <string>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <torch/csrc/utils/pybind.h>

namespace depthguard::python {

namespace {

// Python's logging level of an spdlog level.
int logging_level(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug: return 10;
    case spdlog::level::info: return 20;
    case spdlog::level::warn: return 30;
    case spdlog::level::err: return 40;
    default: return 50;
  }
}

// Each message takes the GIL: the sentinel's calls run without it.
class LoggingSink : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (!Py_IsInitialized()) return;  // at interpreter exit
    pybind11::gil_scoped_acquire gil;
    try {
      const std::string text(msg.payload.data(), msg.payload.size());
      pybind11::module_::import("logging").attr("getLogger")("depthguard").attr("log")(logging_level(msg.level), text);
    } catch (const pybind11::error_already_set& e) {  // a handler failed: as logging does, do not raise
      PyErr_Clear();
    }
  }
  void flush_() override {}
};

}  // namespace

void log_to_python_logging() {
  auto logger = std::make_shared<spdlog::logger>("depthguard", std::make_shared<LoggingSink>());
  logger->set_level(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace depthguard::python
