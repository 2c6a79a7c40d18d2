"""Numbers the user recognises: a message names the loop's own step first (begin_step's
``iteration``) and the updates kept second where they differ; an empty tensor is called empty."""
import logging

import torch

import depthguard
from conftest import TinyDepthNet, batch, silog_bts


def test_events_after_skips_name_the_loops_step_then_the_updates_kept(caplog):
    model = TinyDepthNet()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    sentinel = depthguard.Sentinel(model, optimizer, policy="skip", max_skips=10)
    with caplog.at_level(logging.WARNING, logger="depthguard"):
        for batch_index in range(8):
            image, depth = batch(batch_index)
            if batch_index >= 4:
                depth.zero_()  # from the fifth batch on, no valid pixel: a NaN mean each time
            sentinel.begin_step(replay=lambda: silog_bts(model(image), depth, depth > 0), iteration=batch_index)
            optimizer.zero_grad()
            loss = silog_bts(model(image), depth, depth > 0)
            loss.backward()
            if sentinel.check_step(loss):
                optimizer.step()
                sentinel.end_step()
    assert [(e.iteration, e.step) for e in sentinel.events] == [(4, 4), (5, 4), (6, 4), (7, 4)]
    said = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("step 4: non-finite loss") for m in said), said
    for iteration in (5, 6, 7):
        assert any(m.startswith(f"step {iteration} (4 updates kept): non-finite loss") for m in said), said
    report = str(sentinel.report)
    assert report.startswith("non-finite loss at step 4\n"), report
    assert "input 0: [0] Float: empty;" in report, report  # the masked selection, not "no finite value"
    assert sentinel.report.iteration == 4
