#!/usr/bin/env bash
# Data parallelism on this machine's cores (issue 12): the demo model, global batch 8, as
# 1 process x 2 threads against --nproc 2 x 1 thread (batch 4 per rank), RUNS times each,
# alternating; prints each run's images/s (the group's) and rank 0's wait for the gradient
# all-reduces, then the medians. Usage: bench/data_parallel.sh [BUILD_DIR] [STEPS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-build}/depthguard"
steps=${2:-60}
runs=${3:-3}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
common=(--config configs/demo.yaml --no-progress --set train.steps="$steps" --set eval.interval=0
        --set eval.data.synthetic.count=1 --set train.log_interval="$steps" --set train.threads=0)
field() { grep -o "\"$2\": [0-9.e+-]*" "$1/summary.json" | awk '{printf "%.2f\n", $2}'; }
median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
for i in $(seq "$runs"); do
  "$bin" --log-level warn --threads 2 train "${common[@]}" --set data.batch_size=8 --out "$out/one-$i"
  "$bin" --log-level warn --threads 2 train "${common[@]}" --set data.batch_size=4 --nproc 2 --out "$out/two-$i" \
    >/dev/null
  printf 'run %d: 1 x 2 threads %s img/s; 2 ranks x 1 thread %s img/s, all-reduce wait %s s of the run\n' "$i" \
    "$(field "$out/one-$i" images_per_s)" "$(field "$out/two-$i" images_per_s)" "$(field "$out/two-$i" allreduce_wait_s)"
done
one=$(for i in $(seq "$runs"); do field "$out/one-$i" images_per_s; done | median)
two=$(for i in $(seq "$runs"); do field "$out/two-$i" images_per_s; done | median)
wait=$(for i in $(seq "$runs"); do field "$out/two-$i" allreduce_wait_s; done | median)
secs=$(for i in $(seq "$runs"); do field "$out/two-$i" seconds; done | median)
echo "median of $runs, $steps steps: 1 process x 2 threads $one img/s; 2 ranks x 1 thread $two img/s;" \
     "all-reduce wait $wait s of $secs s"
