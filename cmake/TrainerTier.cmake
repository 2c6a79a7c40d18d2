# The trainer tier (docs/architecture.md): every module above the guard tier (data, models,
# losses, numerics, metrics, optim, dist, report, config, train, study) in the library
# depthguard, the CLI, the examples and the benchmarks. It links the guard tier and Debian's
# libraries (scripts/install-deps.sh).

include(${CMAKE_CURRENT_LIST_DIR}/Gloo.cmake)
find_package(yaml-cpp REQUIRED)
find_package(CLI11 REQUIRED)
find_package(spdlog REQUIRED)
# Image files go through libpng and libjpeg directly (data/image_codec.h): OpenCV's imgcodecs,
# with its hundred dependencies, is not needed.
find_package(OpenCV REQUIRED COMPONENTS core imgproc)
find_package(PNG REQUIRED)
find_package(JPEG REQUIRED)
find_package(ZLIB REQUIRED)
include(${CMAKE_CURRENT_LIST_DIR}/Allocator.cmake)

file(GLOB_RECURSE _all_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/depthguard/*.cpp)
set(DEPTHGUARD_SOURCES "")
foreach(source IN LISTS _all_sources)
  if(NOT source IN_LIST GUARD_TIER_SOURCES)
    list(APPEND DEPTHGUARD_SOURCES ${source})
  endif()
endforeach()
# The HTML report's scripts and style sheet, compiled into the program (report/html/report_assets.h):
# Chart.js from Debian's libjs-chart.js (or DEPTHGUARD_CHART_JS, e.g. a copy carried to a GPU machine).
include(${CMAKE_CURRENT_LIST_DIR}/EmbedAssets.cmake)
find_file(DEPTHGUARD_CHART_JS chart.min.js PATHS /usr/share/javascript/chart.js NO_DEFAULT_PATH
          DOC "Chart.js, UMD build (Debian: libjs-chart.js)")
set(DEPTHGUARD_ASSETS_SOURCE ${CMAKE_BINARY_DIR}/generated/report_assets.cpp)
set(ASSET_DIR ${PROJECT_SOURCE_DIR}/src/depthguard/report/html/assets)
embed_assets(OUTPUT ${DEPTHGUARD_ASSETS_SOURCE} HEADER depthguard/report/html/report_assets.h
  NAMES chart_js_library report_script report_stylesheet
  FILES "${DEPTHGUARD_CHART_JS}" ${ASSET_DIR}/report.js ${ASSET_DIR}/report.css)
add_library(depthguard STATIC ${DEPTHGUARD_SOURCES} ${DEPTHGUARD_ASSETS_SOURCE})
# The assets are large: they compile alone.
set_source_files_properties(${DEPTHGUARD_ASSETS_SOURCE} PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
target_include_directories(depthguard PUBLIC ${DEPTHGUARD_GLOO_INCLUDE_DIR})
target_link_libraries(depthguard PUBLIC depthguard_guard spdlog::spdlog yaml-cpp ${OpenCV_LIBS}
  PNG::PNG JPEG::JPEG ZLIB::ZLIB)
# c10d's Gloo backend (dist/): Debian's TorchConfig does not define what its headers test.
if(DEPTHGUARD_GLOO_INCLUDE_DIR)
  target_compile_definitions(depthguard PUBLIC DEPTHGUARD_GLOO USE_C10D_GLOO)
endif()
# c10d's NCCL backend for GPUs: in a CUDA LibTorch, whose ProcessGroupNCCL.hpp includes
# nccl.h. The torch Python package keeps that header in its nvidia-nccl package:
# scripts/gpu-check.sh finds it and passes NCCL_INCLUDE_DIR.
if(DEPTHGUARD_NCCL AND TARGET torch_cuda)
  find_path(NCCL_INCLUDE_DIR nccl.h HINTS ENV NCCL_INCLUDE_DIR)
  if(NCCL_INCLUDE_DIR)
    target_compile_definitions(depthguard PUBLIC DEPTHGUARD_NCCL USE_C10D_NCCL)
    target_include_directories(depthguard PUBLIC ${NCCL_INCLUDE_DIR})
    message(STATUS "NCCL (${NCCL_INCLUDE_DIR}/nccl.h): data-parallel training on GPUs")
  else()
    message(STATUS "NCCL: no nccl.h (set NCCL_INCLUDE_DIR): data-parallel training on the CPU only")
  endif()
endif()
target_precompile_headers(depthguard REUSE_FROM depthguard_guard)
depthguard_pch_only_with_torch(depthguard "${DEPTHGUARD_SOURCES}")

file(GLOB APP_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/apps/depthguard/*.cpp)
add_executable(depthguard_cli ${APP_SOURCES})
set_target_properties(depthguard_cli PROPERTIES OUTPUT_NAME depthguard)
target_link_libraries(depthguard_cli PRIVATE depthguard CLI11::CLI11)
target_precompile_headers(depthguard_cli REUSE_FROM depthguard_guard)
depthguard_link_allocator(depthguard_cli)
depthguard_pch_only_with_torch(depthguard_cli "${APP_SOURCES}")

# Examples of the library used from other code; the test suite runs them.
add_executable(custom_loop ${PROJECT_SOURCE_DIR}/examples/custom_loop.cpp)
target_link_libraries(custom_loop PRIVATE depthguard)
target_precompile_headers(custom_loop REUSE_FROM depthguard_guard)
depthguard_link_allocator(custom_loop)

if(DEPTHGUARD_BUILD_BENCH)
  find_package(benchmark REQUIRED)
  file(GLOB BENCH_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/bench/*.cpp)
  add_executable(depthguard_bench ${BENCH_SOURCES})
  target_link_libraries(depthguard_bench PRIVATE depthguard benchmark::benchmark benchmark::benchmark_main)
  target_precompile_headers(depthguard_bench REUSE_FROM depthguard_guard)
  depthguard_link_allocator(depthguard_bench)
endif()
