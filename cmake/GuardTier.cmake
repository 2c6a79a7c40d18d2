# The guard tier (docs/architecture.md): src/depthguard/{core,runtime,guard,runlog}, the
# library depthguard_guard. It links LibTorch (depthguard_torch) and nothing else; its only
# other headers are fmt (the copy torch ships, or Debian's beside spdlog in the developer
# build) and nlohmann-json (header-only: Debian's, or the pinned PyPI package for pip).
# scripts/check-layering.sh checks that its files include nothing else.

find_package(Threads REQUIRED)

if(DEPTHGUARD_GUARD_TIER_ONLY)
  # fmt: torch's own copy, header-only (LibTorch exports none of fmt's symbols).
  add_library(depthguard_fmt INTERFACE)
  target_compile_definitions(depthguard_fmt INTERFACE FMT_HEADER_ONLY=1)
  # nlohmann-json from the PyPI package nlohmann-json (requirements-build.txt), found without
  # importing it (its __init__ needs importlib_resources).
  execute_process(COMMAND "${DEPTHGUARD_TORCH_PYTHON}" -c
    "import importlib.util, os; s = importlib.util.find_spec('nlohmann_json'); print(os.path.join(s.submodule_search_locations[0], 'include') if s else '')"
    OUTPUT_VARIABLE _nlohmann_include OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT _nlohmann_include OR NOT EXISTS "${_nlohmann_include}/nlohmann/json.hpp")
    message(FATAL_ERROR "the Python package nlohmann-json (its C++ headers) is not installed in ${DEPTHGUARD_TORCH_PYTHON}'s "
                        "environment: pip install -r requirements-build.txt (docs/python.md, \"Install\")")
  endif()
  add_library(depthguard_json INTERFACE)
  target_include_directories(depthguard_json SYSTEM INTERFACE "${_nlohmann_include}")
  message(STATUS "nlohmann-json: ${_nlohmann_include}")
else()
  find_package(fmt REQUIRED)
  find_package(nlohmann_json REQUIRED)
  add_library(depthguard_fmt INTERFACE)
  target_link_libraries(depthguard_fmt INTERFACE fmt::fmt)
  add_library(depthguard_json INTERFACE)
  target_link_libraries(depthguard_json INTERFACE nlohmann_json::nlohmann_json)
endif()

set(GUARD_TIER_MODULES core runtime guard runlog)
set(GUARD_TIER_SOURCES "")
foreach(module IN LISTS GUARD_TIER_MODULES)
  file(GLOB _module_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/depthguard/${module}/*.cpp)
  list(APPEND GUARD_TIER_SOURCES ${_module_sources})
endforeach()

# build_version() (core/version.h): regenerated at every build, rewritten only when the commit changes.
set(DEPTHGUARD_VERSION_SOURCE ${CMAKE_BINARY_DIR}/generated/build_version.cpp)
add_custom_target(depthguard_version
  COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${PROJECT_SOURCE_DIR} -DVERSION=${PROJECT_VERSION}
          -DOUTPUT=${DEPTHGUARD_VERSION_SOURCE} -P ${PROJECT_SOURCE_DIR}/cmake/GitVersion.cmake
  BYPRODUCTS ${DEPTHGUARD_VERSION_SOURCE})

add_library(depthguard_guard STATIC ${GUARD_TIER_SOURCES} ${DEPTHGUARD_VERSION_SOURCE})
add_dependencies(depthguard_guard depthguard_version)
# pip's build: the guard tier in two translation units, so that LibTorch's headers are parsed
# twice, and the two compile beside depthguard._C's module on 2 cores (51 s for the whole
# compile, against 84 to 104 s in batches of 8: docs/python.md, "Install").
if(DEPTHGUARD_GUARD_TIER_ONLY AND CMAKE_UNITY_BUILD)
  list(LENGTH GUARD_TIER_SOURCES _guard_source_count)
  math(EXPR _half "(${_guard_source_count} + 1) / 2")
  set_target_properties(depthguard_guard PROPERTIES UNITY_BUILD_BATCH_SIZE ${_half})
endif()
# The version changes with every commit: it compiles alone.
set_source_files_properties(${DEPTHGUARD_VERSION_SOURCE} PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
target_include_directories(depthguard_guard PUBLIC ${PROJECT_SOURCE_DIR}/src)
if(NOT DEPTHGUARD_GUARD_TIER_ONLY)
  # One fmt, Debian's (the one spdlog was built with), in every program of the developer build.
  include(${CMAKE_CURRENT_LIST_DIR}/DebianHeaderFirst.cmake)
  get_target_property(_fmt_include fmt::fmt INTERFACE_INCLUDE_DIRECTORIES)
  debian_header_first(depthguard_guard fmt ${_fmt_include})
endif()
target_link_libraries(depthguard_guard PUBLIC depthguard_fmt depthguard_json depthguard_torch Threads::Threads)
# The precompiled header (torch/torch.h) of every target of the developer build: the trainer
# tier, the CLI, the tests and the benchmarks reuse it. pip's build has two targets and five
# translation units (two of the guard tier, three of the module), which start sooner without it (measured: docs/python.md, "Install").
include(${CMAKE_CURRENT_LIST_DIR}/TorchPch.cmake)
if(NOT DEPTHGUARD_GUARD_TIER_ONLY)
  target_precompile_headers(depthguard_guard PRIVATE ${PROJECT_SOURCE_DIR}/src/depthguard/pch.h)
  depthguard_pch_only_with_torch(depthguard_guard "${GUARD_TIER_SOURCES}")
endif()
