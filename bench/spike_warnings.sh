#!/usr/bin/env bash
# Spike warnings' precision and recall, measured on real runs (docs/guard.md "Spike
# warnings"): the demo's training run and the quick study's guideline runs (healthy: every
# warning is a false alarm), runs that diverge after the warm-up (SGD at lr 0.5 and 1), the
# quick study itself (its V1/V2/V3 and high-lr runs diverge at step 0 or 1, before any
# warning can come), and the Python example loop, 300 healthy steps. About 15 minutes on 2
# cores. Prints one Markdown table (bench/spike_warnings/tally.py).
#
#   bench/spike_warnings.sh [BIN] [OUT] [PYTHON]
#   (defaults: build/depthguard, runs/spike-warnings, build/torch2/venv/bin/python; the
#   Python row is left out when PYTHON cannot import depthguard)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build/depthguard}
OUT=${2:-runs/spike-warnings}
PY=${3:-build/torch2/venv/bin/python}
mkdir -p "$OUT"

[ -f "$OUT/demo/summary.json" ] ||
  "$BIN" --log-level error train --config configs/demo.yaml --out "$OUT/demo" --set eval.interval=0 </dev/null
for study in bench/spike_warnings/healthy.yaml bench/spike_warnings/diverging.yaml configs/study/quick.yaml; do
  name=$(basename "$study" .yaml)
  [ -f "$OUT/$name/study.json" ] || "$BIN" --log-level error study --config "$study" --out "$OUT/$name" </dev/null >/dev/null
done
groups=("demo=$OUT/demo/metrics.jsonl" "quick study, guidelines=$OUT/healthy/runs/*/metrics.jsonl"
        "SGD lr 0.5 and 1=$OUT/diverging/runs/*/metrics.jsonl" "quick study=$OUT/quick/runs/*/metrics.jsonl")
if "$PY" -c "import depthguard" 2>/dev/null; then
  [ -f "$OUT/python/metrics.jsonl" ] ||
    "$PY" examples/python_loop.py --steps 300 --bad-step -1 --log-dir "$OUT/python" >/dev/null
  groups+=("examples/python_loop.py=$OUT/python/metrics.jsonl@300")
fi
python3 bench/spike_warnings/tally.py "${groups[@]}"
