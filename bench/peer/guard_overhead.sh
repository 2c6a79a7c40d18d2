#!/usr/bin/env bash
# The cost of guarding a healthy PyTorch training step (docs/training.md, "The Python sentinel's
# cost"): bench/peer/train_step.py (resnet18-mim, AdamW, SILog, batch 8, 256x320) with no guard,
# under depthguard's Python sentinel and under torch.autograd.detect_anomaly(check_nan=True),
# in turn, step by step, in one process (--guard interleaved), tcmalloc preloaded; then one
# event's check (the forensics replay). Prints the figures as JSON and the ratios.
#   bench/peer/guard_overhead.sh PYTHON [STEPS] [extra train_step.py arguments]
# PYTHON must import depthguard (make python; e.g. build/torch2/venv/bin/python).
set -euo pipefail
python=${1:?usage: guard_overhead.sh PYTHON [STEPS] [args]}
steps=${2:-15}
shift $(( $# >= 2 ? 2 : 1 ))
here=$(dirname "$0")
tcmalloc=$(ls /usr/lib/x86_64-linux-gnu/libtcmalloc.so.4 2>/dev/null || true)
line=$(LD_PRELOAD=$tcmalloc "$python" -W ignore "$here/train_step.py" --guard interleaved --steps "$steps" "$@" \
       2>/dev/null | grep '^{"ms_per_step"')
echo "$line"
"$python" - "$line" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
ms = r["ms_per_step"]
for guard in ("none", "depthguard", "anomaly"):
    print(f"{guard:10s} {ms[guard]:8.1f} ms/step  x{ms[guard] / ms['none']:.3f}")
print(f"an event: check_step with the replay {r['event_check_s']:.2f} s (cause {r['event_cause']})")
PY
