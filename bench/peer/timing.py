"""The timing both PyTorch peers share: warm-up steps, then the median of timed steps."""
import statistics
import time


def median_ms(step, steps, warmup):
    """Runs `step` `warmup` times untimed, then `steps` times; the median in milliseconds."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


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
