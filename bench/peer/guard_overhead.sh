#!/usr/bin/env bash
# The cost of guarding a healthy PyTorch training step (docs/training.md, "The Python sentinel's
# cost"): bench/peer/train_step.py (resnet18-mim, AdamW, SILog) with no guard, under depthguard's
# Python sentinel, and under torch.autograd.detect_anomaly(check_nan=True), in interleaved
# rounds in one session, same threads and allocator. Prints one JSON line per run and the
# medians of the rounds.
#   bench/peer/guard_overhead.sh PYTHON [ROUNDS] [extra train_step.py arguments]
# PYTHON must import depthguard (make python; e.g. build/torch2/venv/bin/python).
set -euo pipefail
python=${1:?usage: guard_overhead.sh PYTHON [ROUNDS] [args]}
rounds=${2:-3}
shift $(( $# >= 2 ? 2 : 1 ))
here=$(dirname "$0")
tcmalloc=$(ls /usr/lib/x86_64-linux-gnu/libtcmalloc.so.4 2>/dev/null || true)
results=$(mktemp)
for round in $(seq "$rounds"); do
  for guard in none depthguard anomaly; do
    LD_PRELOAD=$tcmalloc "$python" "$here/train_step.py" --guard "$guard" "$@" | tee -a "$results"
  done
done
"$python" - "$results" <<'PY'
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
medians = {g: statistics.median(r["ms_per_step"] for r in runs if r["guard"] == g) for g in ("none", "depthguard", "anomaly")}
for guard, ms in medians.items():
    print(f"{guard:10s} {ms:8.1f} ms/step  x{ms / medians['none']:.3f}")
PY
rm -f "$results"
