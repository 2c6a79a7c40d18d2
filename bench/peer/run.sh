#!/usr/bin/env bash
# depthguard's resnet18-mim training step against plain PyTorch (bench/peer/train_step.py),
# same model, batch 8, 256x320, same threads, in one session: ROUNDS interleaved rounds
# (default 3), each program run once per round; prints each run and the medians.
#
#   bench/peer/run.sh [BUILD_DIR] [ROUNDS]
#
# Python peers run with the allocator preloaded that depthguard links (tcmalloc: the
# same-allocator comparison) and without (stock PyTorch). Needs Debian's python3-torch and
# python3-torchvision (scripts/install-deps.sh --peer); training never does.
set -euo pipefail
BUILD_DIR=${1:-build}
ROUNDS=${2:-3}
THREADS=2
HERE=$(cd "$(dirname "$0")" && pwd)
PYTHON=/usr/bin/python3  # Debian's, which has python3-torch (not a pyenv or venv python)
TCMALLOC=$(ldconfig -p | awk '/libtcmalloc_minimal.so.4 /{found = $NF} END {print found}')
[ -n "$TCMALLOC" ] || { echo "run.sh: libtcmalloc_minimal.so.4 not found (scripts/install-deps.sh)" >&2; exit 1; }
"$PYTHON" -c "import torch, torchvision" 2>/dev/null ||
  { echo "run.sh: $PYTHON cannot import torch and torchvision (scripts/install-deps.sh --peer)" >&2; exit 1; }

declare -A runs
record() { runs[$1]="${runs[$1]:-} $2"; printf '%-40s round %d: %8.1f ms\n' "$1" "$r" "$2"; }
depthguard() {
  "$BUILD_DIR/depthguard_bench" --benchmark_filter="BM_TrainStep/unet:0/channels_last:$1/" --benchmark_format=csv \
    2>/dev/null | awk -F, '/BM_TrainStep/{print $3}'
}
pytorch() {
  local preload=$1; shift
  env ${preload:+LD_PRELOAD=$preload} "$PYTHON" "$HERE/train_step.py" --threads "$THREADS" "$@" |
    "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["ms_per_step"])'
}

for r in $(seq "$ROUNDS"); do
  record "depthguard (channels-last, default)" "$(depthguard 1)"
  record "depthguard (contiguous)" "$(depthguard 0)"
  record "PyTorch + tcmalloc" "$(pytorch "$TCMALLOC")"
  record "PyTorch + tcmalloc, channels-last" "$(pytorch "$TCMALLOC" --channels-last)"
  record "PyTorch (stock)" "$(pytorch "")"
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
echo
ours=$(echo "${runs["depthguard (channels-last, default)"]}" | median)
printf '%-40s %10s %16s\n' "program" "median ms" "default faster"
for name in "depthguard (channels-last, default)" "depthguard (contiguous)" "PyTorch + tcmalloc" \
            "PyTorch + tcmalloc, channels-last" "PyTorch (stock)"; do
  m=$(echo "${runs[$name]}" | median)
  awk -v name="$name" -v m="$m" -v ours="$ours" 'BEGIN {printf "%-40s %10.1f %15.2fx\n", name, m, m / ours}'
done
