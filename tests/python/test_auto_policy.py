"""policy="auto", the default: the action follows the cause. A batch that broke the step is
skipped; weights that broke it are rolled back to the last snapshot with the learning-rate
backoff; a value that comes back on the next batch is rolled back whatever its cause. The
loop is the issue's: a GLPDepth-style head (sigmoid(x) * max_depth), Adam, 10 batches, the
fault at the fifth (iteration 5)."""
import inspect
import json
import logging
import warnings

import pytest
import torch

import depthguard
from conftest import TinyDepthNet, batch, silog_bts, silog_toolbox

FAULT_AT = 5
BATCHES = 10


def one_pixel(depth):
    """A crop with one valid pixel."""
    mask = torch.zeros_like(depth, dtype=torch.bool)
    mask[0, 0, 5, 7] = True
    return mask


def saturate_the_head(model, depth):
    with torch.no_grad():
        model.head.conv.bias.fill_(-120.0)  # every later batch's sigmoid underflows too
    return depth > 0


def empty_depth(model, depth):
    depth.zero_()
    return depth > 0


# fault name -> (loss function, what the fault does to the model and the batch: the mask)
FAULTS = {
    "v2_saturated_head": (silog_bts, saturate_the_head),
    "empty_depth_map": (silog_bts, empty_depth),
    "v3_var_of_one_pixel": (silog_toolbox, lambda model, depth: one_pixel(depth)),
    "v1_sqrt_of_one_pixel": (lambda p, g, m: silog_bts(p, g, m, variance_focus=1.0),
                             lambda model, depth: one_pixel(depth)),
}


def train(fault, fault_at=(FAULT_AT,), **options):
    """The per-check loop (the loss checked before backward: torch 1.13's backward of
    torch.var over one value raises). Returns the sentinel and the last kept loss."""
    torch.manual_seed(0)
    model = TinyDepthNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    sentinel = depthguard.Sentinel(model, optimizer, **options)
    loss_fn, make_fault = FAULTS[fault]
    last = None
    for i in range(BATCHES):
        image, depth = batch(100 + i)
        mask = make_fault(model, depth) if i in fault_at else depth > 0
        sentinel.begin_step(samples=[f"b{i}"], replay=lambda: loss_fn(model(image), depth, mask), iteration=i)
        optimizer.zero_grad()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.var's "degrees of freedom <= 0"
            loss = loss_fn(model(image), depth, mask)
            if not sentinel.check_loss(loss):
                continue
            loss.backward()
        if not sentinel.check_gradients(max_norm=1.0):
            continue
        optimizer.step()
        if sentinel.end_step():
            last = loss.item()
    sentinel.settle()
    return sentinel, last


def test_auto_is_the_default_of_the_sentinel_and_the_lightning_callback():
    assert inspect.signature(depthguard.Sentinel).parameters["policy"].default == "auto"
    lightning = pytest.importorskip("depthguard.lightning")
    assert inspect.signature(lightning.SentinelCallback).parameters["policy"].default == "auto"


def test_weights_that_broke_the_step_are_rolled_back_and_training_goes_to_the_end(caplog):
    with caplog.at_level(logging.WARNING, logger="depthguard"):
        sentinel, last = train("v2_saturated_head")
    (event,) = sentinel.events
    assert (event.iteration, event.action, event.cause) == (FAULT_AT, "rollback", "v2_log_sigmoid")
    assert event.reason == "v2_log_sigmoid persists in the weights"
    assert json.loads(event.json())["reason"] == event.reason
    assert sentinel.lr_scale == 0.5  # the backoff
    # Rolled back to the snapshot of step 0, then the four batches after the fault trained.
    assert sentinel.step == BATCHES - FAULT_AT - 1 and last is not None and last == last
    said = [r.getMessage() for r in caplog.records]
    assert any("auto: rolled back to step 0, v2_log_sigmoid persists in the weights (learning-rate scale 0.5)" in s
               for s in said), said


def test_skip_on_the_same_fault_halts_where_auto_trains_on():
    """The saturated head breaks every batch after the fault: skip drops them until max_skips."""
    with pytest.raises(depthguard.NonFiniteHalt, match="policy skip, 4 non-finite step"):
        train("v2_saturated_head", policy="skip", max_skips=3)
    sentinel, last = train("v2_saturated_head", max_skips=3)
    assert [e.action for e in sentinel.events] == ["rollback"] and last is not None


@pytest.mark.parametrize("fault, cause", [("empty_depth_map", "empty_mask"),
                                          ("v3_var_of_one_pixel", "v3_variance"),
                                          ("v1_sqrt_of_one_pixel", "v1_sqrt")])
def test_a_batch_that_broke_the_step_is_skipped_and_nothing_else_changes(fault, cause):
    sentinel, _ = train(fault)
    (event,) = sentinel.events
    assert (event.iteration, event.action, event.cause) == (FAULT_AT, "skip", cause)
    assert event.reason == f"{cause} is the batch's"
    assert sentinel.lr_scale == 1.0  # no backoff for a bad batch
    assert sentinel.step == BATCHES - 1  # one update dropped, none undone


def test_a_cause_that_comes_back_on_the_next_batch_is_rolled_back():
    sentinel, _ = train("empty_depth_map", fault_at=(FAULT_AT, FAULT_AT + 1))
    first, second = sentinel.events
    assert (first.action, first.cause) == ("skip", "empty_mask")
    assert (second.action, second.consecutive) == ("rollback", 2)
    assert second.reason == "a non-finite value came back on the next batch"
    assert sentinel.lr_scale == 0.5


def test_without_forensics_auto_skips_first_and_rolls_back_what_comes_back():
    sentinel, last = train("v2_saturated_head", forensics=False)
    assert [(e.action, e.cause) for e in sentinel.events] == [("skip", None), ("rollback", None)]
    assert sentinel.events[0].reason == "no cause known: the batch's unless it comes back"
    assert last is not None
