# c10d's Gloo backend, on which dist/ builds data-parallel training: its header
# ProcessGroupGloo.hpp includes Gloo's headers, which no torch package ships, and they must
# declare the Gloo that LibTorch was built with: Debian 12's libgloo-dev (2022) for Debian's
# 1.13; for 2.x a newer one (the store API that torch 2.x's header overrides), which
# scripts/torch2-env.sh unpacks into the build tree and passes as GLOO_INCLUDE_DIR.
# Sets DEPTHGUARD_GLOO_INCLUDE_DIR when found and fit. Without them a build that must have
# them (DEPTHGUARD_REQUIRE_GLOO) stops; the Python package's build (pip install, which does
# not need dist/: PyTorch's own torch.distributed runs its ranks) goes on without, and
# dist/'s process group then says so when asked for (has_gloo()).
find_path(GLOO_INCLUDE_DIR gloo/rendezvous/store.h HINTS ENV GLOO_INCLUDE_DIR DOC "Directory holding gloo/")
find_file(_c10d_gloo_header torch/csrc/distributed/c10d/ProcessGroupGloo.hpp PATHS ${TORCH_INCLUDE_DIRS} NO_DEFAULT_PATH)
set(_gloo_problem "")
if(NOT GLOO_INCLUDE_DIR)
  set(_gloo_problem "Gloo's headers not found (Debian: libgloo-dev; for LibTorch 2.x scripts/torch2-env.sh unpacks newer ones): set GLOO_INCLUDE_DIR")
elseif(_c10d_gloo_header)
  file(STRINGS "${_c10d_gloo_header}" _needs_v2 REGEX "has_v2_support")
  file(STRINGS "${GLOO_INCLUDE_DIR}/gloo/rendezvous/store.h" _has_v2 REGEX "has_v2_support")
  if(_needs_v2 AND NOT _has_v2)
    set(_gloo_problem "Gloo's headers in ${GLOO_INCLUDE_DIR} are older than LibTorch ${Torch_VERSION}'s Gloo (no has_v2_support in its store.h): set GLOO_INCLUDE_DIR to newer ones (scripts/torch2-env.sh)")
  endif()
endif()
if(_gloo_problem STREQUAL "")
  set(DEPTHGUARD_GLOO_INCLUDE_DIR "${GLOO_INCLUDE_DIR}")
  message(STATUS "Gloo (${GLOO_INCLUDE_DIR}): data-parallel training")
elseif(DEPTHGUARD_REQUIRE_GLOO)
  message(FATAL_ERROR "${_gloo_problem}")
else()
  message(STATUS "${_gloo_problem}; building without data-parallel training (dist/)")
endif()
