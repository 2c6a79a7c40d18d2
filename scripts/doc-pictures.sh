#!/bin/sh
# Regenerates the pictures in docs/images/ from real runs: the demo run's report
# (demo-out/run, from `make demo`) and the quick study's report (configs/study/quick.yaml,
# about 2 minutes on 2 cores; an existing study in STUDY is reused). Screenshots by headless
# Chromium at 1280 px width.
#   scripts/doc-pictures.sh [BUILD_DIR] [STUDY_DIR]
set -eu
BIN=${1:-build}/depthguard
STUDY=${2:-runs/study-quick}
OUT=docs/images
mkdir -p "$OUT"
[ -f demo-out/run/summary.json ] || { echo "doc-pictures: run make demo first (no demo-out/run)"; exit 1; }
[ -f "$STUDY/study.json" ] || "$BIN" study --config configs/study/quick.yaml --out "$STUDY"

# shot HTML PNG HEIGHT: the top HEIGHT pixels of the page.
shot() {
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size="1280,$3" \
    --screenshot="$2" "file://$(realpath "$1")" > /dev/null 2>&1
  echo "doc-pictures: wrote $2"
}
shot "$("$BIN" --log-level warn report demo-out/run)" "$OUT/demo-report.png" 2250
shot "$("$BIN" --log-level warn report "$STUDY")" "$OUT/quick-study.png" 700
