#include "python_call_site.h"

#include <string>
#include <vector>

#include <torch/csrc/utils/pybind.h>

namespace depthguard::python {

namespace py = pybind11;

namespace {

// The directories of torch's and depthguard's packages, read once (under the GIL): the frames
// in them are the libraries', not the user's.
const std::vector<std::string>& library_dirs() {
  static const std::vector<std::string> dirs = [] {
    const auto os_path = py::module_::import("os.path");
    std::vector<std::string> out;
    for (const char* package : {"torch", "depthguard"}) {
      const auto file = py::module_::import(package).attr("__file__");
      out.push_back(os_path.attr("dirname")(file).cast<std::string>() + "/");
    }
    return out;
  }();
  return dirs;
}

bool in_library(const std::string& file) {
  for (const auto& dir : library_dirs()) {
    if (file.rfind(dir, 0) == 0) return true;
  }
  return false;
}

// A code object's qualified name (co_qualname from Python 3.11, its plain name before).
std::string qualified_name(const py::handle& code) {
  return py::str(py::hasattr(code, "co_qualname") ? code.attr("co_qualname") : code.attr("co_name"));
}

}  // namespace

std::optional<CallSite> python_call_site() {
  py::gil_scoped_acquire gil;
  // PyEval_GetFrame's frame is borrowed; PyFrame_GetBack's and PyFrame_GetCode's are new.
  auto frame = py::reinterpret_borrow<py::object>(reinterpret_cast<PyObject*>(PyEval_GetFrame()));
  while (frame) {
    auto* f = reinterpret_cast<PyFrameObject*>(frame.ptr());
    const auto code = py::reinterpret_steal<py::object>(reinterpret_cast<PyObject*>(PyFrame_GetCode(f)));
    auto file = py::str(code.attr("co_filename")).cast<std::string>();
    if (!in_library(file)) return CallSite{std::move(file), PyFrame_GetLineNumber(f), qualified_name(code)};
    frame = py::reinterpret_steal<py::object>(reinterpret_cast<PyObject*>(PyFrame_GetBack(f)));
  }
  return std::nullopt;
}

}  // namespace depthguard::python
