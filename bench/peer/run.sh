#!/usr/bin/env bash
# depthguard's training step against the same model in plain PyTorch, same batch, size and
# threads, in one session: ROUNDS interleaved rounds (default 3), each program run once per
# round; prints each run and the medians.
#
#   bench/peer/run.sh [BUILD_DIR] [ROUNDS]
#   MODEL=swinv2-mim bench/peer/run.sh [BUILD_DIR] [ROUNDS]
#
# MODEL resnet18-mim (default): BM_TrainStep against bench/peer/train_step.py, batch 8,
# 256x320, float32. MODEL swinv2-mim: BM_TrainStepSwin (tiny) against bench/peer/swin_step.py
# (timm's SwinV2-T with MIM's decoder), batch 8, 256x320, float32, 3 steps a run.
# Programs: depthguard as built in BUILD_DIR (default build: LibTorch 2.x, the default build)
# and in LIBTORCH113_DIR (default build-libtorch113: Debian's 1.13) when it has its benchmark;
# plain PyTorch 2.x from TORCH2_ENV/venv (default build/torch2): eager, channels-last
# (resnet18-mim) and torch.compile; plain PyTorch 1.13 (Debian's python3-torch,
# scripts/install-deps.sh --peer) when installed. make bench-peer builds both and runs this. Python peers
# run with the allocator preloaded that depthguard links (tcmalloc: the same-allocator
# comparison), and once without (stock PyTorch). Training never needs Python.
set -euo pipefail
BUILD_DIR=${1:-build}
ROUNDS=${2:-3}
LIBTORCH113_DIR=${LIBTORCH113_DIR:-build-libtorch113}
TORCH2_ENV=${TORCH2_ENV:-build/torch2}
MODEL=${MODEL:-resnet18-mim}
THREADS=2
HERE=$(cd "$(dirname "$0")" && pwd)
PYTHON=/usr/bin/python3  # Debian's, which has python3-torch (not a pyenv or venv python)
PYTHON2=$TORCH2_ENV/venv/bin/python
TCMALLOC=$(ldconfig -p | awk '/libtcmalloc_minimal.so.4 /{found = $NF} END {print found}')
[ -n "$TCMALLOC" ] || { echo "run.sh: libtcmalloc_minimal.so.4 not found (scripts/install-deps.sh)" >&2; exit 1; }
case "$MODEL" in  # what the Python peer imports
  swinv2-mim) modules="torch, timm" ;;  # Debian has no timm: no PyTorch 1.13 rows for swin there
  *) modules="torch, torchvision" ;;
esac
torch113=0 torch2=0 libtorch113=0
"$PYTHON" -c "import $modules" 2>/dev/null && torch113=1
"$PYTHON2" -c "import $modules" 2>/dev/null && torch2=1
[ -x "$LIBTORCH113_DIR/depthguard_bench" ] && libtorch113=1
[ $torch113 = 1 ] || echo "run.sh: $PYTHON cannot import $modules (scripts/install-deps.sh --peer): no PyTorch 1.13 rows" >&2
[ $torch2 = 1 ] || echo "run.sh: $PYTHON2 cannot import $modules (make build): no PyTorch 2.x rows" >&2
[ $libtorch113 = 1 ] || echo "run.sh: no $LIBTORCH113_DIR/depthguard_bench (make build LIBTORCH=1.13): no depthguard 1.13 rows" >&2
build_line() { grep -q '^DEPTHGUARD_TORCH_PYTHON:FILEPATH=.' "$1/CMakeCache.txt" && echo 2.x || echo 1.13; }

declare -A runs
names=()
record() {
  [ -n "$2" ] || { echo "run.sh: $1 gave no time (its output is above)" >&2; exit 1; }
  [ -n "${runs[$1]+set}" ] || names+=("$1")  # the order of first appearance
  runs[$1]="${runs[$1]:-} $2"
  printf '%-44s round %d: %8.1f ms\n' "$1" "$r" "$2"
}
case "$MODEL" in
  resnet18-mim) filter="BM_TrainStep/unet:0/channels_last:" peer=(train_step.py) layouts=(1 0) ;;
  swinv2-mim) filter="BM_TrainStepSwin/precision:0" layouts=("")
    peer=(swin_step.py --device cpu --backbone swinv2_tiny_window8_256 --batch 8 --height 256 --width 320
          --precision fp32 --steps 3) ;;
  *) echo "run.sh: MODEL is resnet18-mim or swinv2-mim, not $MODEL" >&2; exit 2 ;;
esac
depthguard() {  # BUILD [CHANNELS_LAST]
  "$1/depthguard_bench" --benchmark_filter="$filter$2" --benchmark_format=csv 2>/dev/null |
    awk -F, '/BM_TrainStep/{print $3; exit}'
}
pytorch() {  # PYTHON PRELOAD ARGS...
  local python=$1 preload=$2; shift 2
  env ${preload:+LD_PRELOAD=$preload} "$python" "$HERE/${peer[0]}" "${peer[@]:1}" --threads "$THREADS" "$@" |
    "$python" -c 'import json, sys; print(json.loads(sys.stdin.read().splitlines()[-1])["ms_per_step"])'
}
layout() { [ "$1" = 1 ] && echo "channels-last" || echo "contiguous"; }

for r in $(seq "$ROUNDS"); do
  for l in "${layouts[@]}"; do
    record "depthguard $(build_line "$BUILD_DIR")${l:+ ($(layout "$l"))}" "$(depthguard "$BUILD_DIR" "$l")"
  done
  if [ $libtorch113 = 1 ]; then
    record "depthguard $(build_line "$LIBTORCH113_DIR")${layouts:+ (channels-last)}" \
      "$(depthguard "$LIBTORCH113_DIR" "${layouts[0]}")"
  fi
  if [ $torch2 = 1 ]; then
    record "PyTorch 2.x eager (stock)" "$(pytorch "$PYTHON2" "")"
    record "PyTorch 2.x eager + tcmalloc" "$(pytorch "$PYTHON2" "$TCMALLOC")"
    if [ "$MODEL" = resnet18-mim ]; then
      record "PyTorch 2.x + tcmalloc, channels-last" "$(pytorch "$PYTHON2" "$TCMALLOC" --channels-last)"
      record "PyTorch 2.x compiled + tcmalloc, ch-last" "$(pytorch "$PYTHON2" "$TCMALLOC" --channels-last --compile)"
    else
      record "PyTorch 2.x compiled + tcmalloc" "$(pytorch "$PYTHON2" "$TCMALLOC" --compile)"
    fi
  fi
  if [ $torch113 = 1 ]; then
    record "PyTorch 1.13 + tcmalloc" "$(pytorch "$PYTHON" "$TCMALLOC")"
    [ "$MODEL" = resnet18-mim ] && record "PyTorch 1.13 + tcmalloc, channels-last" "$(pytorch "$PYTHON" "$TCMALLOC" --channels-last)"
    record "PyTorch 1.13 (stock)" "$(pytorch "$PYTHON" "")"
  fi
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
echo
ours=$(echo "${runs[${names[0]}]}" | median)
printf '%-44s %10s %12s %18s\n' "program ($MODEL)" "median ms" "images/s" "1st row faster"
for name in "${names[@]}"; do
  m=$(echo "${runs[$name]}" | median)
  awk -v name="$name" -v m="$m" -v ours="$ours" 'BEGIN {printf "%-44s %10.1f %12.2f %17.2fx\n", name, m, 8000 / m, m / ours}'
done
