"""Model or machine in a Python loop: a fault only the first run of a step meets is found
transient by the replay, and the retried step trains as if nothing had happened."""
import pytest
import torch

import depthguard
from conftest import TinyDepthNet, batch, silog_bts

STEPS = 12


def train(fault_runs=0, **options):
    """A retrying loop; dropout draws from torch's RNG, which a retry must draw again.
    ``fault_runs``: how many runs of step 5 get a NaN in one gradient."""
    torch.manual_seed(0)
    model = TinyDepthNet()
    model.decoder = torch.nn.Sequential(*model.decoder, torch.nn.Dropout(0.1))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    sentinel = depthguard.Sentinel(model, optimizer, **options)
    faults = 0
    while sentinel.step < STEPS:
        step = sentinel.step
        image, depth = batch(100 + step)
        while True:
            sentinel.begin_step(replay=lambda: silog_bts(model(image), depth, depth > 0))
            optimizer.zero_grad()
            loss = silog_bts(model(image), depth, depth > 0)
            loss.backward()
            if step == 5 and faults < fault_runs:
                next(model.parameters()).grad.view(-1)[0] = float("nan")
                faults += 1
            passed = sentinel.check_step(loss)
            if passed or not sentinel.retrying:
                break
        if passed:
            optimizer.step()
            sentinel.end_step()
    sentinel.settle()
    return model, sentinel


def test_a_retried_transient_trains_bit_for_bit_as_if_nothing_happened():
    clean_model, clean = train()
    model, sentinel = train(fault_runs=1)
    assert not clean.events
    event = sentinel.events[0]
    assert (event.step, event.stage, event.action) == (5, "gradient", "retry")
    assert event.transient and event.replayed_on == "cpu" and event.cause == "transient"
    assert sentinel.transient_steps == 1
    assert sentinel.report.replays == [{"device": "cpu", "precision": "", "nonfinite": False}]
    for a, b in zip(model.state_dict().values(), clean_model.state_dict().values()):
        assert torch.equal(a, b)


def test_a_fault_that_comes_back_on_retry_follows_the_policy():
    _, sentinel = train(fault_runs=2, policy="skip")
    assert [(e.step, e.action, e.transient) for e in sentinel.events] == [(5, "retry", True), (5, "skip", True)]


def test_on_transient_skip_and_halt():
    _, skipped = train(fault_runs=1, on_transient="skip")
    assert skipped.events[0].action == "skip"
    with pytest.raises(depthguard.NonFiniteHalt, match="guard.on_transient halt"):
        train(fault_runs=1, on_transient="halt")


def test_bad_transient_options_are_named():
    model = TinyDepthNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="on_transient"):
        depthguard.Sentinel(model, optimizer, on_transient="sometimes")
    with pytest.raises(ValueError, match="replays"):
        depthguard.Sentinel(model, optimizer, replays=0)
    with pytest.raises(TypeError, match="replays"):
        depthguard.Sentinel(model, optimizer, replays=1.5)


def test_a_jump_is_a_spike_warning_in_the_log(tmp_path):
    torch.manual_seed(0)
    model = TinyDepthNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    sentinel = depthguard.Sentinel(model, optimizer, log_dir=tmp_path)
    image, depth = batch(7)
    for step in range(40):
        scale = 100.0 if step == 32 else 1.0
        sentinel.begin_step()
        optimizer.zero_grad()
        loss = silog_bts(model(image), depth, depth > 0) * scale
        loss.backward()
        assert sentinel.check_step(loss)
        optimizer.step()
        sentinel.end_step()
    assert sentinel.spike_count >= 1
    spikes = [line for line in (tmp_path / "metrics.jsonl").read_text().splitlines() if '"spike"' in line]
    assert spikes and '"step":32' in spikes[0].replace(" ", "")
