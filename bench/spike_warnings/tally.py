"""Tallies spike warnings from run directories' metrics.jsonl (bench/spike_warnings.sh).

    python3 bench/spike_warnings/tally.py NAME=GLOB[@STEPS] [NAME=GLOB[@STEPS] ...]

For each group: the runs, those that met a non-finite value, and those whose first one came
after the warm-up (the earliest step a warning can come). A healthy run's warnings are false
alarms; a diverging run is warned ahead when a warning came before its first non-finite
step, by that many steps (the first warning's lead). A run's steps are its last logged step,
or STEPS for a log with no step lines (a Python loop's holds only its events and warnings).
The standard library only.
"""
import glob
import json
import statistics
import sys

WARMUP = 25  # GuardOptions::spike_warmup's default


def read_run(path, given_steps):
    steps, spikes, first_nan = given_steps, [], None
    with open(path) as lines:
        for line in lines:
            j = json.loads(line)
            steps = max(steps, j.get("step", 0))
            if "spike" in j:
                spikes.append(j["step"])
            elif "nonfinite" in j and first_nan is None:
                first_nan = j["step"]
    return steps, spikes, first_nan


def tally(name, pattern, given_steps):
    runs = [read_run(p, given_steps) for p in sorted(glob.glob(pattern))]
    healthy = [r for r in runs if r[2] is None]
    diverged = [r for r in runs if r[2] is not None]
    warnable = [r for r in diverged if r[2] > WARMUP]
    leads = [r[2] - min(r[1]) for r in warnable if r[1] and min(r[1]) < r[2]]
    true_alarms = sum(len([s for s in r[1] if s < r[2]]) for r in diverged)
    false_alarms = sum(len(r[1]) for r in healthy)
    healthy_steps = sum(r[0] for r in healthy)
    lead = f"{statistics.median(leads):g} ({min(leads)}-{max(leads)})" if leads else "-"
    print(f"| {name} | {len(runs)} | {len(healthy)} | {healthy_steps} | {false_alarms} "
          f"({len([r for r in healthy if r[1]])} runs) | {len(diverged)} | {len(warnable)} | "
          f"{true_alarms} | {len(leads)} of {len(warnable)} | {lead} |")


def main(groups):
    print("| runs | n | healthy | their steps | warnings on them | diverged | after the warm-up | "
          "warnings before the NaN | warned ahead | steps ahead, median (range) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for group in groups:
        name, pattern = group.split("=", 1)
        pattern, _, steps = pattern.partition("@")
        tally(name, pattern, int(steps or 0))


if __name__ == "__main__":
    main(sys.argv[1:])
