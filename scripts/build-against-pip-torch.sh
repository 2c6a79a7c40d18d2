#!/usr/bin/env bash
# Builds depthguard and runs the suite against the LibTorch inside Python's `torch` package
# (LibTorch 2.x; with CUDA on GPU machines), to check the code against both LibTorch lines.
# EXTRA_PREFIX: more CMake prefixes (';'-separated) for the other dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build-pip-torch}
torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "gpu", torch.cuda.is_available())'
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="${torch_prefix}${EXTRA_PREFIX:+;$EXTRA_PREFIX}"
cmake --build "$build_dir" -j "$(nproc)"
cd "$build_dir" && ctest --output-on-failure -j "$(nproc)"
