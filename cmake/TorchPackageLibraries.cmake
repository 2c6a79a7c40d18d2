# LibTorch for the guard tier's build by pip (DEPTHGUARD_GUARD_TIER_ONLY): the torch package
# of DEPTHGUARD_TORCH_PYTHON taken as torch.utils.cpp_extension takes it (its include
# directories, libc10, libtorch and libtorch_cpu, its C++ string ABI), not through its CMake
# config: a CUDA torch's config needs the CUDA toolkit (nvcc) that a user's machine often
# lacks, and the guard tier reaches a GPU only through LibTorch's device-generic API (the
# CUDA hooks in libtorch_cpu), so the same build runs on a CPU machine and a GPU machine.
# Defines the target depthguard_torch, and TORCH_INSTALL_PREFIX and Torch_VERSION as
# find_package(Torch) would.

if(NOT DEPTHGUARD_TORCH_PYTHON)
  message(FATAL_ERROR "DEPTHGUARD_GUARD_TIER_ONLY needs DEPTHGUARD_TORCH_PYTHON, a Python whose torch to build against")
endif()
execute_process(
  COMMAND "${DEPTHGUARD_TORCH_PYTHON}" -c
    "import os, torch; print(os.path.dirname(torch.__file__)); print(torch.__version__); print(torch.version.cuda or ''); print(int(torch.compiled_with_cxx11_abi()))"
  OUTPUT_VARIABLE _torch_facts ERROR_VARIABLE _torch_error RESULT_VARIABLE _torch_status
  OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT _torch_status EQUAL 0)
  message(FATAL_ERROR "${DEPTHGUARD_TORCH_PYTHON} cannot import torch: install torch into this environment first "
                      "(depthguard builds against the torch you train with):\n${_torch_error}")
endif()
string(REPLACE "\n" ";" _torch_facts "${_torch_facts}")
list(GET _torch_facts 0 TORCH_INSTALL_PREFIX)
list(GET _torch_facts 1 _torch_version)
list(GET _torch_facts 2 _torch_cuda)
list(GET _torch_facts 3 _torch_cxx11_abi)
string(REGEX MATCH "^[0-9]+\\.[0-9]+\\.[0-9]+" Torch_VERSION "${_torch_version}")
# The package is tested with the C++11 string ABI that PyPI's wheels use from 2.7 on
# (pyproject.toml requires torch>=2.7); an older torch says so here rather than at import.
if(NOT _torch_cxx11_abi)
  message(FATAL_ERROR "torch ${_torch_version} was built with the pre-C++11 string ABI (torch.compiled_with_cxx11_abi() "
                      "is False): depthguard needs torch 2.7 or later (PyPI's wheels since 2.7 use the C++11 ABI)")
endif()

add_library(depthguard_torch INTERFACE)
target_include_directories(depthguard_torch SYSTEM INTERFACE
  "${TORCH_INSTALL_PREFIX}/include" "${TORCH_INSTALL_PREFIX}/include/torch/csrc/api/include")
foreach(_lib c10 torch_cpu torch)
  find_library(_torch_${_lib} ${_lib} PATHS "${TORCH_INSTALL_PREFIX}/lib" NO_DEFAULT_PATH)
  if(NOT _torch_${_lib})
    message(FATAL_ERROR "torch ${_torch_version} in ${TORCH_INSTALL_PREFIX} has no lib${_lib}.so: a broken install?")
  endif()
  target_link_libraries(depthguard_torch INTERFACE "${_torch_${_lib}}")
endforeach()
target_compile_definitions(depthguard_torch INTERFACE _GLIBCXX_USE_CXX11_ABI=1)
if(_torch_cuda)
  set(_torch_kind "CUDA ${_torch_cuda}, reached through LibTorch (no CUDA toolkit needed)")
else()
  set(_torch_kind "CPU")
endif()
message(STATUS "LibTorch of ${DEPTHGUARD_TORCH_PYTHON}: torch ${_torch_version} (${TORCH_INSTALL_PREFIX}), ${_torch_kind}")
