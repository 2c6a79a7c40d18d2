#!/usr/bin/env bash
# depthguard's resnet18-mim training step against plain PyTorch (bench/peer/train_step.py),
# same model, batch 8, 256x320, same threads, in one session: ROUNDS interleaved rounds
# (default 3), each program run once per round; prints each run and the medians.
#
#   bench/peer/run.sh [BUILD_DIR] [ROUNDS]
#
# Programs: depthguard built against LibTorch 1.13 (BUILD_DIR) and, when TORCH2_DIR (default
# build-torch2) has its benchmark and virtual environment, against 2.x; plain PyTorch 1.13
# (Debian's python3-torch, scripts/install-deps.sh --peer) when installed; plain PyTorch 2.x
# from TORCH2_DIR/venv: eager, channels-last, and torch.compile. Python peers run with the
# allocator preloaded that depthguard links (tcmalloc: the same-allocator comparison), and
# once without (stock PyTorch). Training never needs Python.
set -euo pipefail
BUILD_DIR=${1:-build}
ROUNDS=${2:-3}
TORCH2_DIR=${TORCH2_DIR:-build-torch2}
THREADS=2
HERE=$(cd "$(dirname "$0")" && pwd)
PYTHON=/usr/bin/python3  # Debian's, which has python3-torch (not a pyenv or venv python)
PYTHON2=$TORCH2_DIR/venv/bin/python
TCMALLOC=$(ldconfig -p | awk '/libtcmalloc_minimal.so.4 /{found = $NF} END {print found}')
[ -n "$TCMALLOC" ] || { echo "run.sh: libtcmalloc_minimal.so.4 not found (scripts/install-deps.sh)" >&2; exit 1; }
torch113=0 torch2=0
"$PYTHON" -c "import torch, torchvision" 2>/dev/null && torch113=1
[ -x "$TORCH2_DIR/depthguard_bench" ] && "$PYTHON2" -c "import torch, torchvision" 2>/dev/null && torch2=1
[ $torch113 = 1 ] || echo "run.sh: $PYTHON cannot import torch and torchvision (scripts/install-deps.sh --peer): no PyTorch 1.13 rows" >&2
[ $torch2 = 1 ] || echo "run.sh: no $TORCH2_DIR/depthguard_bench or $PYTHON2 (make torch2-configure, then build depthguard_bench): no 2.x rows" >&2

declare -A runs
names=()
record() {
  [[ " ${names[*]} " == *" $1 "* ]] || names+=("$1")
  runs[$1]="${runs[$1]:-} $2"
  printf '%-44s round %d: %8.1f ms\n' "$1" "$r" "$2"
}
depthguard() {  # BUILD CHANNELS_LAST
  "$1/depthguard_bench" --benchmark_filter="BM_TrainStep/unet:0/channels_last:$2/" --benchmark_format=csv \
    2>/dev/null | awk -F, '/BM_TrainStep/{print $3}'
}
pytorch() {  # PYTHON PRELOAD ARGS...
  local python=$1 preload=$2; shift 2
  env ${preload:+LD_PRELOAD=$preload} "$python" "$HERE/train_step.py" --threads "$THREADS" "$@" |
    "$python" -c 'import json, sys; print(json.load(sys.stdin)["ms_per_step"])'
}

for r in $(seq "$ROUNDS"); do
  record "depthguard 1.13 (channels-last, default)" "$(depthguard "$BUILD_DIR" 1)"
  record "depthguard 1.13 (contiguous)" "$(depthguard "$BUILD_DIR" 0)"
  if [ $torch2 = 1 ]; then
    record "depthguard 2.x (channels-last, default)" "$(depthguard "$TORCH2_DIR" 1)"
    record "PyTorch 2.x eager (stock)" "$(pytorch "$PYTHON2" "")"
    record "PyTorch 2.x eager + tcmalloc" "$(pytorch "$PYTHON2" "$TCMALLOC")"
    record "PyTorch 2.x + tcmalloc, channels-last" "$(pytorch "$PYTHON2" "$TCMALLOC" --channels-last)"
    record "PyTorch 2.x compiled + tcmalloc, ch-last" "$(pytorch "$PYTHON2" "$TCMALLOC" --channels-last --compile)"
  fi
  if [ $torch113 = 1 ]; then
    record "PyTorch 1.13 + tcmalloc" "$(pytorch "$PYTHON" "$TCMALLOC")"
    record "PyTorch 1.13 + tcmalloc, channels-last" "$(pytorch "$PYTHON" "$TCMALLOC" --channels-last)"
    record "PyTorch 1.13 (stock)" "$(pytorch "$PYTHON" "")"
  fi
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
echo
ours=$(echo "${runs["depthguard 1.13 (channels-last, default)"]}" | median)
printf '%-44s %10s %12s %18s\n' "program" "median ms" "images/s" "default faster"
for name in "${names[@]}"; do
  m=$(echo "${runs[$name]}" | median)
  awk -v name="$name" -v m="$m" -v ours="$ours" 'BEGIN {printf "%-44s %10.1f %12.2f %17.2fx\n", name, m, 8000 / m, m / ours}'
done
