#!/bin/sh
# The main job of `make demo`: train on streamed synthetic rooms, evaluate on held-out
# scenes next to the median baseline, predict depth for a few rendered images, and write
# the run's report.html.
# Rerunning continues an interrupted training run and reuses a finished one.
set -eu
BIN=${1:-build/depthguard}
OUT=demo-out
RUN=$OUT/run

"$BIN" numerics
if [ -f "$RUN/summary.json" ]; then
  echo "demo: $RUN is already trained (remove it to train again)"
elif [ -f "$RUN/checkpoints/last.pt" ]; then
  "$BIN" train --out "$RUN" --resume
else
  "$BIN" train --config configs/demo.yaml --out "$RUN"
fi
"$BIN" eval --checkpoint "$RUN/checkpoints/best.pt" --median-baseline
"$BIN" synth --out "$OUT/images" --count 4 --height 240 --width 320 --seed 2024 --test-fraction 0
"$BIN" predict --checkpoint "$RUN/checkpoints/best.pt" --out "$OUT/predictions" "$OUT"/images/rgb/*.png
REPORT=$("$BIN" --log-level warn report "$RUN")
echo "demo: run in $RUN (metrics.jsonl, summary.json, eval.md, TensorBoard files in tb/), predictions in $OUT/predictions"
echo "demo: open the report in a browser: $REPORT"
