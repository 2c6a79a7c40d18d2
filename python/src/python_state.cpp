#include "python_state.h"

#include <torch/csrc/utils/pybind.h>

namespace depthguard::python {

void PythonState::call(const char* method) {
  pybind11::gil_scoped_acquire gil;
  owner_.attr(method)();
}

std::vector<NamedTensor> PythonState::named_parameters() {
  pybind11::gil_scoped_acquire gil;
  return owner_.attr("_named_parameters")().cast<std::vector<NamedTensor>>();
}

std::vector<NamedTensor> PythonState::named_buffers() {
  pybind11::gil_scoped_acquire gil;
  return owner_.attr("_named_buffers")().cast<std::vector<NamedTensor>>();
}

}  // namespace depthguard::python
