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
