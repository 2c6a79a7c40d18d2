"""Rollback restores model, optimizer, scheduler and RNG from memory; training goes on as if
the event had not happened."""
import torch

import depthguard
from conftest import TinyDepthNet, batch, silog_bts

STEPS = 24


def train(poison_at=None, lr_factor=1.0):
    """A loop that indexes its batches by the sentinel's step, as a resumable loop does;
    dropout draws from torch's RNG, which the rollback restores."""
    torch.manual_seed(0)
    model = TinyDepthNet()
    model.decoder = torch.nn.Sequential(*model.decoder, torch.nn.Dropout(0.1))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=4, gamma=0.9)
    sentinel = depthguard.Sentinel(model, optimizer, scheduler=scheduler, policy="rollback",
                                   snapshot_interval=5, lr_factor=lr_factor)
    losses, poisoned = {}, False
    while sentinel.step < STEPS:
        step = sentinel.step
        image, depth = batch(100 + step)
        if step == poison_at and not poisoned:
            image[0, 0, 0, 0] = float("nan")  # once: a corrupt read of this batch
            poisoned = True
        sentinel.begin_step(replay=lambda: silog_bts(model(image), depth, depth > 0))
        optimizer.zero_grad()
        loss = silog_bts(model(image), depth, depth > 0)
        loss.backward()
        if not sentinel.check_step(loss):
            continue
        optimizer.step()
        scheduler.step()
        if sentinel.end_step():
            losses[step] = loss.item()
    sentinel.settle()
    return model, optimizer, sentinel, losses


def test_after_a_rollback_training_ends_where_an_uninterrupted_run_ends():
    clean_model, _, clean, clean_losses = train()
    model, optimizer, sentinel, losses = train(poison_at=12)
    event = sentinel.events[0]
    assert (event.step, event.action) == (12, "rollback") and not clean.events
    assert losses == clean_losses  # every step's loss, bit for bit
    for a, b in zip(model.state_dict().values(), clean_model.state_dict().values()):
        assert torch.equal(a, b)


def test_rollback_scales_the_learning_rate_and_the_schedule():
    _, clean_optimizer, _, _ = train()
    _, optimizer, sentinel, _ = train(poison_at=12, lr_factor=0.5)
    assert sentinel.lr_scale == 0.5
    assert optimizer.param_groups[0]["lr"] == clean_optimizer.param_groups[0]["lr"] * 0.5
