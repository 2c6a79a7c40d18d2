"""The timing both PyTorch peers share: warm-up steps, then the mean of timed steps; the
profiler's operator table."""
import contextlib
import statistics
import time

import torch


def mean_ms(step, steps, warmup, profile=None):
    """Runs `step` `warmup` times untimed, then `steps` times; their mean in milliseconds. The
    statistic of the C++ side: Google Benchmark's real time per iteration is the timed loop's
    total over its iterations. (A median would drop the first timed step, which both sides run
    up to 1.5 s slower than the later ones in SwinV2's step, and favour this side.) With
    `profile` a path, the timed steps run under torch.profiler, whose operator table (most self
    CPU time first) goes there, as BM_TrainStepProfile times and profiles the same steps."""
    for _ in range(warmup):
        step()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) if profile else \
            contextlib.nullcontext() as profiler:
        start = time.perf_counter()
        for _ in range(steps):
            step()
        ms = (time.perf_counter() - start) * 1e3 / steps
    if profile:
        with open(profile, "w") as out:
            out.write(f"{steps} steps; totals over all of them\n")
            out.write(profiler.key_averages().table(sort_by="self_cpu_time_total", row_limit=60))
    return ms


def interleaved_ms(steps_by_name, rounds, warmup):
    """Each of `steps_by_name`'s steps once per round, in turn, in one process (same model,
    same allocator state, the machine's drift shared): the median milliseconds of each."""
    for step in steps_by_name.values():
        for _ in range(warmup):
            step()
    times = {name: [] for name in steps_by_name}
    for _ in range(rounds):
        for name, step in steps_by_name.items():
            start = time.perf_counter()
            step()
            times[name].append((time.perf_counter() - start) * 1e3)
    return {name: statistics.median(t) for name, t in times.items()}
