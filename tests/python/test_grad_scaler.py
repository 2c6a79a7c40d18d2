"""GradScaler with float16 autocast: an overflow of the scaled gradients is routine, a NaN
of the model is an event (the C++ sentinel's rules)."""
import pytest
import torch

import depthguard
from conftest import TinyDepthNet, batch, silog_bts


def cpu_float16_autocast():
    try:
        with torch.autocast("cpu", dtype=torch.float16):
            return torch.mm(torch.ones(2, 2), torch.ones(2, 2)).dtype == torch.float16
    except (RuntimeError, AssertionError):
        return False


pytestmark = pytest.mark.skipif(not hasattr(torch.amp, "GradScaler") or not cpu_float16_autocast(),
                                reason="this torch has no float16 autocast and GradScaler on the CPU (from 2.4)")


def test_overflows_are_routine_and_an_injected_nan_is_an_event():
    model = TinyDepthNet()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 24)  # float16 gradients overflow at first
    sentinel = depthguard.Sentinel(model, optimizer, scaler=scaler)
    updates = 0
    for i in range(30):
        image, depth = batch(200 + i)
        if i == 25:
            image[1, 2, 3, 4] = float("nan")
        sentinel.begin_step(samples=[f"b{i}"], inputs=(image, depth), iteration=i)
        optimizer.zero_grad()
        with torch.autocast("cpu", dtype=torch.float16):
            loss = silog_bts(model(image).float(), depth, depth > 0)
        scaler.scale(loss).backward()
        if not sentinel.check_step(loss, max_norm=1.0):
            continue
        scaler.step(optimizer)
        scaler.update()
        updates += sentinel.end_step()
    assert sentinel.scale_overflows >= 1 and scaler.get_scale() < 2.0 ** 24
    # the batch's NaN is an input event; its forward pass's BatchNorm statistics were put back
    assert [(e.stage, e.samples, e.cause) for e in sentinel.events] == [("input", ["b25"], "nonfinite_input")]
    # the loop's batch 25; its step counts the updates before it, the overflows' dropped ones not
    assert sentinel.events[0].iteration == 25
    assert sentinel.events[0].step == 25 - sentinel.scale_overflows
    assert all(bool(torch.isfinite(b).all()) for b in model.buffers())
    assert updates == 30 - 1 - sentinel.scale_overflows


def test_the_amp_clipping_recipe_unscale_then_clip_then_check_step():
    """scaler.unscale_(optimizer); clip_grad_norm_(...); check_step(loss): the gradients are
    unscaled already, and check_step does not unscale them again (GradScaler would raise)."""
    model = TinyDepthNet()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 24)
    sentinel = depthguard.Sentinel(model, optimizer, scaler=scaler)
    updates = 0
    for i in range(12):
        image, depth = batch(300 + i)
        sentinel.begin_step(samples=[f"b{i}"], iteration=i)
        optimizer.zero_grad()
        with torch.autocast("cpu", dtype=torch.float16):
            loss = silog_bts(model(image).float(), depth, depth > 0)
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        if not sentinel.check_step(loss):
            continue
        scaler.step(optimizer)
        scaler.update()
        updates += sentinel.end_step()
    assert sentinel.scale_overflows >= 1 and not sentinel.events
    assert updates == 12 - sentinel.scale_overflows >= 1
    assert all(bool(torch.isfinite(p).all()) for p in model.parameters())
