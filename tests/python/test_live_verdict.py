"""``diagnose`` gives the live verdict: a reproducer records the intra-op thread count and the
RNG states its step ran with, and the replay runs under them (``threads`` overrides)."""
import os
import subprocess

import pytest
import torch
import torch.nn as nn

import depthguard
from conftest import diagnose_commands


def summation_order_matters(n=1_000_003):
    """A tensor whose float32 sum differs between one intra-op thread and two (the sum is split
    across the threads, so it rounds differently); the first of a few seeds that does."""
    for seed in range(50):
        x = torch.rand(n, generator=torch.Generator().manual_seed(seed)) * 1000
        torch.set_num_threads(1)
        one = x.sum()
        torch.set_num_threads(2)
        if x.sum() != one:
            return x, one
    raise AssertionError("no seed whose sum differs between 1 and 2 threads: the test cannot tell them apart")


class Scale(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.ones(()))


def run_until_event(tmp_path, model, loss_fn, threads):
    """One step under the sentinel, on `threads` intra-op threads; the event's folder."""
    torch.set_num_threads(threads)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    sentinel = depthguard.Sentinel(model, optimizer, log_dir=tmp_path)
    sentinel.begin_step(replay=loss_fn)
    optimizer.zero_grad()
    loss = loss_fn()
    loss.backward()
    assert not sentinel.check_step(loss)
    assert sentinel.events[0].cause == "v1_sqrt" and not sentinel.events[0].transient
    return tmp_path / "forensics" / "step-0"


def run(command, *args):
    return subprocess.run(command + [str(a) for a in args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("diagnose", diagnose_commands())
def test_a_v1_that_reproduces_only_at_the_runs_thread_count(tmp_path, diagnose):
    """D is exactly 0 (a gradient of 1/(2 sqrt(0)): V1) where the sum runs on the run's one
    thread, and a few ulps on two: a diagnose on two threads would call it transient."""
    x, on_one_thread = summation_order_matters()
    model = Scale()
    folder = run_until_event(tmp_path, model, lambda: torch.sqrt(((model.w * x).sum() - on_one_thread).abs()), 1)
    torch.set_num_threads(2)  # the diagnosing process's own count differs from the run's
    report = depthguard.diagnose(folder)
    assert (report.cause, report.intra_op_threads) == ("v1_sqrt", 1), str(report)
    assert torch.get_num_threads() == 2  # put back
    overridden = depthguard.diagnose(folder, threads=2)
    assert (overridden.cause, overridden.intra_op_threads) == ("transient", 2), str(overridden)
    done = run(diagnose, folder)
    assert done.returncode == 0 and "[v1_sqrt]" in done.stdout and "on 1 intra-op thread(s)" in done.stdout, done.stderr
    done = run(diagnose, folder, "--threads", 2)
    assert done.returncode == 0 and "[transient]" in done.stdout, done.stdout + done.stderr
    with pytest.raises(ValueError, match="threads"):
        depthguard.diagnose(folder, threads=0)


def drop_path(x, p):
    """timm's drop path: a whole sample dropped with probability p, the rest scaled."""
    keep = torch.empty((x.shape[0],) + (1,) * (x.dim() - 1), dtype=x.dtype).bernoulli_(1 - p)
    return x * keep / (1 - p)


class Stochastic(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(4, 4)
        self.dropout = nn.Dropout(0.5)

    def forward(self, x):
        return drop_path(self.dropout(self.proj(x)), 0.5)


def stochastic_loss(model, x):
    return torch.sqrt((model(x) ** 2).mean())  # V1 where every sample was dropped


def seed_where(model, x, dropped):
    """The first seed whose draws drop everything (``dropped``) or not."""
    for seed in range(200):
        torch.manual_seed(seed)
        if bool(stochastic_loss(model, x) == 0) == dropped:
            return seed
    raise AssertionError("no such seed")


def test_a_v1_that_only_the_steps_own_dropout_and_drop_path_draws_make(tmp_path):
    torch.manual_seed(0)
    model = Stochastic()
    x = torch.rand(3, 4) + 0.5
    unlucky, lucky = seed_where(model, x, True), seed_where(model, x, False)
    torch.manual_seed(unlucky)
    folder = run_until_event(tmp_path, model, lambda: stochastic_loss(model, x), 2)
    torch.manual_seed(lucky)  # the diagnosing process draws otherwise
    report = depthguard.diagnose(folder)
    assert report.cause == "v1_sqrt" and report.replays[0]["nonfinite"], str(report)
    after = torch.rand(())
    torch.manual_seed(lucky)
    assert after == torch.rand(())  # the process's RNG left as it was
    # Without the recorded states the same reproducer draws again and finds nothing.
    os.remove(folder / "conditions.pt")
    torch.manual_seed(lucky)
    assert depthguard.diagnose(folder).cause == "transient"
