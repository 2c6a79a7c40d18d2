"""What depthguard's three calls cost in a small, fast PyTorch step (docs/python.md, "Cost"):
begin_step, check_step and end_step, each timed on its own (perf_counter_ns around the call),
in a loop whose step (forward, backward, AdamW) is a few milliseconds on 2 CPU threads.
Rounds alternate a step with no sentinel and a step with it, so both see the same machine;
prints the medians as JSON, and the median of the rounds' differences (what the calls add).
`control_us` is the floor: one attribute read of the C++ sentinel, timed right after a plain
step's work as the calls are after theirs (what any call into the core pays there).
    python bench/peer/sentinel_calls.py [--steps 400] [--threads 2] [--size 48]
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn

import depthguard


def net(channels=16):
    return nn.Sequential(nn.Conv2d(3, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU(),
                         nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(), nn.Conv2d(channels, 1, 3, padding=1),
                         nn.Sigmoid())


def silog(pred, gt):
    d = torch.log(pred * 10) - torch.log(gt)
    return torch.sqrt((d ** 2).mean() - 0.85 * d.mean() ** 2) * 10


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--size", type=int, default=48)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = net()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    sentinel = depthguard.Sentinel(model, optimizer, policy="skip")
    image = torch.rand(4, 3, args.size, args.size)
    depth = 1 + 9 * torch.rand(4, 1, args.size, args.size)
    ids = [f"sample-{i}" for i in range(4)]
    plain, guarded, control = [], [], []
    calls = {"begin_step": [], "check_step": [], "end_step": []}

    def timed(name, call):
        start = time.perf_counter_ns()
        result = call()
        calls[name].append((time.perf_counter_ns() - start) / 1e3)
        return result

    for i in range(args.steps + 20):
        start = time.perf_counter_ns()
        optimizer.zero_grad()
        silog(model(image), depth).backward()
        optimizer.step()
        plain_us = (time.perf_counter_ns() - start) / 1e3
        start = time.perf_counter_ns()
        sentinel.step  # noqa: B018 (the read is what is timed)
        control.append((time.perf_counter_ns() - start) / 1e3)

        start = time.perf_counter_ns()
        timed("begin_step", lambda: sentinel.begin_step(samples=ids, replay=lambda: silog(model(image), depth),
                                                        iteration=i))
        optimizer.zero_grad()
        loss = silog(model(image), depth)
        loss.backward()
        if timed("check_step", lambda: sentinel.check_step(loss)):
            optimizer.step()
            timed("end_step", sentinel.end_step)
        guarded_us = (time.perf_counter_ns() - start) / 1e3
        if i >= 20:  # warm-up
            plain.append(plain_us)
            guarded.append(guarded_us)
    median = {name: statistics.median(us[20:]) for name, us in calls.items()}
    step_us = statistics.median(plain)
    print(json.dumps({
        "torch": torch.__version__, "threads": torch.get_num_threads(), "steps": args.steps,
        "step_us": round(step_us, 1), "guarded_step_us": round(statistics.median(guarded), 1),
        "calls_us": {name: round(us, 1) for name, us in median.items()},
        "calls_total_us": round(sum(median.values()), 1),
        "calls_share_of_step": round(sum(median.values()) / step_us, 4),
        "control_us": round(statistics.median(control[20:]), 1),
        # What the calls add to a whole step, the rounds paired: it also counts what they
        # leave in the caches for the step's own operators (and the other way round).
        "added_per_step_us": round(statistics.median(g - p for g, p in zip(guarded, plain)), 1),
    }))


if __name__ == "__main__":
    main()
