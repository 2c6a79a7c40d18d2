#!/usr/bin/env bash
# The GPU machine's check (issues 11, 12, 17), in named stages:
#   build      builds the whole project as make test does (cmake/TorchFromPython.cmake:
#              DEPTHGUARD_TORCH_PYTHON, here that machine's own python3 and its torch 2.x with
#              CUDA, NCCL from its nvidia wheels), with the Debian packages and Gloo's headers
#              that scripts/gpu-deps.sh unpacked into .gpu-deps (carried there);
#   suite      the whole suite (the CUDA tests included; NCCL at world size 1);
#   train      200 steps of the demo on the GPU in fp32, bf16 and fp16, TensorBoard reading the
#              fp32 run's event files, its HTML report;
#   audit      depthguard audit of the demo's step on the GPU in fp32, bf16 and fp16: the GPU's
#              kernels against the CPU's float64 (docs/guard.md "Kernels that compute wrong");
#   reference  SwinV2 against timm's with the same weights (the SwinV2Reference tests, which run
#              scripts/swin-reference.py; the suite runs them too, on the CPU);
#   bench      the GPU benchmarks (the step in each precision, the sentinel's on/off A/B,
#              swinv2-mim base, the loader with a worker per core) and the same steps in plain
#              PyTorch (bench/peer/);
#   study      the MIM study on the GPU (configs/study/mim-gpu.yaml, about 8 minutes).
# With no stage named: build suite train audit reference bench. build-gpu/ stays on a warm machine
# between calls, so a later call can run what did not fit. Logs go to $OUT (the device tool
# brings them back) or /tmp/gpu-check.
#
#   here:  scripts/gpu-deps.sh
#   there: run(command="scripts/gpu-check.sh", carry=[".gpu-deps"], timeout_s=540)
#          run(command="scripts/gpu-check.sh build study", carry=[".gpu-deps"], timeout_s=600)
#
# DEPTHGUARD_NCCL=OFF scripts/gpu-check.sh builds without NCCL (should its part not build).
# DEPTHGUARD_BUILD_PYTHON=ON scripts/gpu-check.sh builds the Python package too (needs Python.h there).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
deps="$PWD/.gpu-deps"
logs="${OUT:-/tmp/gpu-check}"
mkdir -p "$logs"
[ -d "$deps/root" ] || { echo "gpu-check: $deps missing: run scripts/gpu-deps.sh first and carry .gpu-deps"; exit 2; }
lib="$deps/root/usr/lib/x86_64-linux-gnu"
export LD_LIBRARY_PATH="$lib:$lib/blas:$lib/lapack${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
started=$SECONDS
step() { echo "== $1 ($((SECONDS - started)) s)"; }
status=0

build() {
  step "machine"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "gpu", torch.cuda.is_available())'
  step "configure and build (build-gpu)"
  cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DDEPTHGUARD_ALLOCATOR=system \
    -DDEPTHGUARD_TORCH_PYTHON="$(command -v python3)" -DGLOO_INCLUDE_DIR="$deps/gloo/usr/include" \
    -DCMAKE_PREFIX_PATH="$deps/root/usr" -DOpenCV_DIR="$deps/opencv" \
    -DDEPTHGUARD_CHART_JS="$deps/root/usr/share/javascript/chart.js/chart.min.js" \
    -DDEPTHGUARD_NCCL="${DEPTHGUARD_NCCL:-ON}" \
    -DDEPTHGUARD_BUILD_PYTHON="${DEPTHGUARD_BUILD_PYTHON:-OFF}" \
    >"$logs/build.log" 2>&1 &&
    cmake --build build-gpu -j "$(nproc)" >>"$logs/build.log" 2>&1
  build=$?
  tail -5 "$logs/build.log"
  [ $build -eq 0 ] || { echo "gpu-check: build failed (build.log)"; grep -m 20 -E "error|Error" "$logs/build.log"; exit 1; }
}

suite() {
  step "suite"
  (cd build-gpu && ctest -j 8 --timeout 300 --output-on-failure) >"$logs/ctest.log" 2>&1
  [ $? -eq 0 ] || status=1
  grep -E "tests passed|tests failed|\(Failed\)|Timeout" "$logs/ctest.log"
  grep -E "NCCL" "$logs/build.log" | head -2
  grep -E "Cuda|Autocast|Float16|Fp16|Nccl|OneRead|ReportInBrowser" "$logs/ctest.log" | grep -E "Passed|Failed|Skipped" | sed 's/^ *//'
}

train() {
  step "training on cuda:0, fp32, bf16 and fp16 (dynamic loss scaling)"
  for precision in fp32 bf16 fp16; do
    rm -rf "/tmp/gpu-run-$precision"
    build-gpu/depthguard train --config configs/demo.yaml --no-progress --out "/tmp/gpu-run-$precision" \
      --set train.device=cuda --set train.precision=$precision --set train.steps=200 --set data.workers=8 \
      --set eval.interval=0 >"$logs/train-$precision.log" 2>&1
    echo "$precision: exit $? $(grep -ho '"images_per_s": [0-9.]*' "/tmp/gpu-run-$precision/summary.json")"
    grep -E "device|eval abs_rel" "$logs/train-$precision.log" | tail -2
    grep -ho "\"loss_scale[a-z_]*\": [0-9.e+]*" "/tmp/gpu-run-$precision/summary.json"
  done

  step "TensorBoard reads the fp32 run's event files (issue 14)"
  python3 - /tmp/gpu-run-fp32/tb <<'PY' 2>&1 | tail -24
import sys
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
acc = EventAccumulator(sys.argv[1], size_guidance={"images": 0, "scalars": 0, "tensors": 0})
acc.Reload()
tags = acc.Tags()
for tag in sorted(tags["scalars"]):
    points = acc.Scalars(tag)
    print(f"scalar {tag}: {len(points)} points, last step {points[-1].step} value {points[-1].value:.4g}")
print("images:", {t: len(acc.Images(t)) for t in tags["images"]})
PY
  cp -r /tmp/gpu-run-fp32/tb "$logs/tb-fp32" 2>/dev/null
  build-gpu/depthguard --log-level warn report /tmp/gpu-run-fp32 && cp /tmp/gpu-run-fp32/report.html "$logs/"
}

audit() {
  step "the kernel check on the GPU: its kernels against the CPU's float64"
  for precision in fp32 bf16 fp16; do
    build-gpu/depthguard audit --config configs/demo.yaml --set train.device=cuda --set train.precision=$precision \
      2>&1 | grep -E "depthguard audit|^\[|off by|fix:" || status=1
  done
}

reference() {
  step "SwinV2 against timm with the same weights (issue 17)"
  build-gpu/tests/depthguard_tests --gtest_filter='SwinV2Reference.*:SwinV2Encoder.ParameterCounts*' 2>&1 |
    grep -E "timm|swinv2|OK|FAILED|Failure|Expected|Which"
}

bench() {
  step "benchmarks: depthguard's step, then the same in plain PyTorch, then the sentinel on/off"
  build-gpu/depthguard_bench --benchmark_filter='BM_TrainStepCuda|BM_SentinelOnOff/cuda:1|BM_Loader' --benchmark_format=console \
    --benchmark_out="$logs/bench.json" --benchmark_out_format=json 2>&1 | grep -E "BM_|Run on"
  for args in "--batch 8" "--batch 32 --precision bf16" "--batch 32 --precision fp16"; do
    python3 bench/peer/train_step.py --device cuda --channels-last --steps 20 $args 2>&1 | tail -1
  done
  python3 bench/peer/swin_step.py 2>&1 | tail -1
}

study() {
  step "the MIM study on the GPU (configs/study/mim-gpu.yaml)"
  rm -rf /tmp/gpu-study
  build-gpu/depthguard study --config configs/study/mim-gpu.yaml --out /tmp/gpu-study --no-progress \
    >"$logs/study.log" 2>&1 || status=1
  cp /tmp/gpu-study/study.md /tmp/gpu-study/report.html "$logs/" 2>/dev/null
  cat /tmp/gpu-study/study.md 2>/dev/null | head -40
}

stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(build suite train audit reference bench)
for stage in "${stages[@]}"; do
  case "$stage" in
    build | suite | train | audit | reference | bench | study) "$stage" ;;
    *) echo "gpu-check: unknown stage '$stage' (build, suite, train, audit, reference, bench, study)"; exit 2 ;;
  esac
done
step "done"
exit $status
