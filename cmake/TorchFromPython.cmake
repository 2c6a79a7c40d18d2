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
      "import os, torch; print(torch.utils.cmake_prefix_path); print(torch.__version__); print(torch.version.cuda or ''); print(os.path.dirname(os.path.dirname(torch.__file__)))"
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
  list(PREPEND CMAKE_PREFIX_PATH "${_torch_prefix}")
  # TorchConfig finds its libraries with PATHS, which come after the system's: without this
  # a machine with Debian's libtorch-dev too would link 2.x's headers to 1.13's libtorch.so.
  list(PREPEND CMAKE_LIBRARY_PATH "${_site_packages}/torch/lib")
  message(STATUS "LibTorch from ${DEPTHGUARD_TORCH_PYTHON}: torch ${_torch_version}, CUDA ${_torch_cuda}")

  if(_torch_cuda)
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

# c10d's ProcessGroupGloo.hpp includes Gloo's headers, which no torch package ships, and they
# must declare the Gloo that LibTorch was built with: Debian 12's libgloo-dev (2022) for
# Debian's 1.13; for 2.x a newer one, which scripts/torch2-env.sh unpacks into the build tree
# and passes as GLOO_INCLUDE_DIR.
find_path(GLOO_INCLUDE_DIR gloo/rendezvous/store.h HINTS ENV GLOO_INCLUDE_DIR DOC "Directory holding gloo/")
if(NOT GLOO_INCLUDE_DIR)
  message(FATAL_ERROR "Gloo's headers not found (Debian: libgloo-dev; for LibTorch 2.x scripts/torch2-env.sh "
                      "unpacks newer ones): set GLOO_INCLUDE_DIR")
endif()
