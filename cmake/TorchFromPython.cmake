# The two LibTorch lines depthguard builds against (docs/architecture.md, "LibTorch versions"):
#   - Debian's libtorch-dev 1.13.1 (CPU), found by find_package(Torch) as installed: the default;
#   - the LibTorch inside a Python's `torch` package (2.x from PyPI, the CUDA build), when
#     DEPTHGUARD_TORCH_PYTHON names that Python (make test passes its virtual
#     environment's; scripts/gpu-check.sh the GPU machine's python3).
# Included before find_package(Torch): it only points CMake at the package and sets what the
# package's config needs on a machine without a GPU.

set(DEPTHGUARD_TORCH_PYTHON "" CACHE FILEPATH
    "A Python whose torch package provides LibTorch (2.x); empty: the installed LibTorch (Debian's 1.13)")

if(DEPTHGUARD_TORCH_PYTHON)
  execute_process(
    COMMAND "${DEPTHGUARD_TORCH_PYTHON}" -c
      "import os, torch; print(torch.utils.cmake_prefix_path); print(torch.__version__); print(torch.version.cuda or ''); print(os.path.dirname(os.path.dirname(torch.__file__))); print(int(torch.compiled_with_cxx11_abi()))"
    OUTPUT_VARIABLE _torch_facts ERROR_VARIABLE _torch_error RESULT_VARIABLE _torch_status
    OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT _torch_status EQUAL 0)
    message(FATAL_ERROR "DEPTHGUARD_TORCH_PYTHON=${DEPTHGUARD_TORCH_PYTHON} cannot import torch:\n${_torch_error}")
  endif()
  string(REPLACE "\n" ";" _torch_facts "${_torch_facts}")
  list(GET _torch_facts 0 _torch_prefix)
  list(GET _torch_facts 1 _torch_version)
  list(GET _torch_facts 2 _torch_cuda)
  list(GET _torch_facts 3 _site_packages)
  list(GET _torch_facts 4 _torch_cxx11_abi)
  # depthguard links Debian's C++ libraries (yaml-cpp, spdlog, OpenCV, protobuf), built with
  # the C++11 string ABI; a LibTorch of the old ABI (the PyPI wheels before torch 2.7) cannot
  # share a std::string with them.
  if(NOT _torch_cxx11_abi)
    message(FATAL_ERROR "torch ${_torch_version} (${DEPTHGUARD_TORCH_PYTHON}) was built with the pre-C++11 string "
                        "ABI (torch.compiled_with_cxx11_abi() is False), and depthguard links C++ libraries built "
                        "with the C++11 ABI: use torch 2.7 or later (PyPI's wheels since 2.7 use the C++11 ABI)")
  endif()
  list(PREPEND CMAKE_PREFIX_PATH "${_torch_prefix}")
  # TorchConfig finds its libraries with PATHS, which come after the system's: without this
  # a machine with Debian's libtorch-dev too would link 2.x's headers to 1.13's libtorch.so.
  list(PREPEND CMAKE_LIBRARY_PATH "${_site_packages}/torch/lib")
  message(STATUS "LibTorch from ${DEPTHGUARD_TORCH_PYTHON}: torch ${_torch_version}, CUDA ${_torch_cuda}")


  if(_torch_cuda)
    # The package's CMake config needs the CUDA toolkit of a CUDA torch (nvcc, the runtime's
    # headers): say so before it fails somewhere inside.
    find_package(CUDAToolkit QUIET)
    if(NOT CUDAToolkit_FOUND)
      message(FATAL_ERROR "torch ${_torch_version} is a CUDA ${_torch_cuda} build, and building against it needs the "
                          "CUDA toolkit (nvcc, CUDA's headers and libraries), which was not found: install CUDA "
                          "${_torch_cuda}'s toolkit and put nvcc on PATH (or set CUDAToolkit_ROOT), or build "
                          "against a CPU build of torch")
    endif()
    message(STATUS "CUDA toolkit ${CUDAToolkit_VERSION} (${CUDAToolkit_NVCC_EXECUTABLE}) for torch's CUDA ${_torch_cuda}")
    # The package's Caffe2Config probes the GPU for the architectures to compile for unless it
    # is told; with no GPU it stops. depthguard has no CUDA sources of its own, so the list only
    # has to be valid: A100, H100/H200.
    if(NOT DEFINED TORCH_CUDA_ARCH_LIST AND NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})
      set(TORCH_CUDA_ARCH_LIST "8.0;9.0")
    endif()
    # The package's CUDA libraries (CUDA runtime, cuBLAS, cuDNN, NCCL) are nvidia-* wheels
    # beside it, newer than the toolkit's: the linker needs them to resolve libtorch_cuda.so
    # (its NCCL calls), and the programs load them first, so that one CUDA runtime, the one
    # LibTorch was built with, is loaded.
    file(GLOB _nvidia_lib_dirs LIST_DIRECTORIES true "${_site_packages}/nvidia/*/lib")
    foreach(_dir IN LISTS _nvidia_lib_dirs)
      add_link_options("LINKER:-rpath-link,${_dir}")
    endforeach()
    list(PREPEND CMAKE_BUILD_RPATH ${_nvidia_lib_dirs})
    # NCCL's header comes with the package's nvidia-nccl wheel, not with LibTorch.
    file(GLOB _nccl_headers "${_site_packages}/nvidia/*/include/nccl.h" "${_site_packages}/nvidia/*/*/include/nccl.h")
    if(_nccl_headers AND NOT NCCL_INCLUDE_DIR)
      list(GET _nccl_headers 0 _nccl_header)
      get_filename_component(_nccl_dir "${_nccl_header}" DIRECTORY)
      set(NCCL_INCLUDE_DIR "${_nccl_dir}" CACHE PATH "Directory of nccl.h")
    endif()
  endif()
endif()
