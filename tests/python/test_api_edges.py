"""The Python API's edges: each misuse is an exception that names the argument or the call,
and the events say which step, iteration, samples and cause they belong to."""
import logging
import os
import subprocess
import sys

import pytest
import torch

import depthguard
from conftest import TinyDepthNet, batch, silog_bts


@pytest.fixture
def sentinel():
    model = TinyDepthNet()
    return depthguard.Sentinel(model, torch.optim.SGD(model.parameters(), lr=0.1))


def test_each_call_out_of_order_names_the_call_it_needs(sentinel):
    with pytest.raises(RuntimeError, match="check_step: no step in hand: call begin_step"):
        sentinel.check_step(torch.ones(()))
    with pytest.raises(RuntimeError, match="end_step: no step in hand"):
        sentinel.end_step()
    sentinel.begin_step()
    with pytest.raises(RuntimeError, match="end_step: this step was not checked: call check_step"):
        sentinel.end_step()


@pytest.mark.parametrize("loss, error, message", [
    (1.5, TypeError, "loss must be the loss tensor \\(before .item\\(\\)"),
    (torch.ones((), dtype=torch.long), ValueError, "loss must be a floating-point tensor, got Long"),
    (torch.ones(4), ValueError, "loss must be one value, got a tensor of shape \\[4\\]"),
])
def test_a_loss_that_is_not_one_floating_point_value_is_refused(sentinel, loss, error, message):
    sentinel.begin_step()
    with pytest.raises(error, match=message):
        sentinel.check_step(loss)


def test_a_float_loss_of_one_element_in_any_shape_is_taken(sentinel):
    sentinel.begin_step()
    assert sentinel.check_step(torch.ones(1, 1, dtype=torch.float64))


def test_an_optimizer_over_another_models_parameters_is_refused():
    model = TinyDepthNet()
    with pytest.raises(ValueError, match="optimizer: 8 of its 8 parameters are not parameters of model"):
        depthguard.Sentinel(model, torch.optim.SGD(TinyDepthNet().parameters(), lr=0.1))


def test_an_optimizer_over_some_of_the_models_parameters_is_taken():
    model = TinyDepthNet()  # a frozen encoder: the usual fine-tuning setup
    depthguard.Sentinel(model, torch.optim.SGD(model.head.parameters(), lr=0.1))


def train(sentinel, model, optimizer, batches, empty_at, start=0, give_iteration=True):
    """A skip loop with its own batch counter: a skipped batch is not fetched again. With
    give_iteration, begin_step gets that counter as the iteration."""
    for i in range(start, start + batches):
        image, depth = batch(i)
        if i in empty_at:
            depth.zero_()  # no valid pixel: the SILog's mean is over nothing
        sentinel.begin_step(samples=[f"b{i}"], replay=lambda: silog_bts(model(image), depth, depth > 0),
                            iteration=i if give_iteration else None)
        optimizer.zero_grad()
        loss = silog_bts(model(image), depth, depth > 0)
        loss.backward()
        if sentinel.check_step(loss):
            optimizer.step()
            sentinel.end_step()


def test_a_later_event_names_the_first_events_cause_and_its_own_iteration():
    model = TinyDepthNet()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    sentinel = depthguard.Sentinel(model, optimizer, policy="skip")
    train(sentinel, model, optimizer, 10, empty_at={3, 7})
    first, second = sentinel.events
    assert (first.step, first.iteration, first.samples, first.cause) == (3, 3, ["b3"], "empty_mask")
    assert first.cause_of_first is None
    # only the first event is replayed (docs/python.md): the second says whose cause it repeats
    assert (second.step, second.iteration, second.samples) == (6, 7, ["b7"])
    assert (second.cause, second.cause_of_first) == (None, "empty_mask")
    assert "cause_of_first='empty_mask'" in repr(second)


def test_events_after_skips_name_the_loops_step_then_the_updates_kept(caplog):
    """Numbers the user recognises: the loop's own step first, the updates kept second where
    they differ; an empty tensor is called empty."""
    model = TinyDepthNet()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    sentinel = depthguard.Sentinel(model, optimizer, policy="skip", max_skips=10)
    with caplog.at_level(logging.WARNING, logger="depthguard"):
        train(sentinel, model, optimizer, 8, empty_at={4, 5, 6, 7})
    assert [(e.iteration, e.step) for e in sentinel.events] == [(4, 4), (5, 4), (6, 4), (7, 4)]
    said = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("step 4: non-finite loss") for m in said), said
    for iteration in (5, 6, 7):
        assert any(m.startswith(f"step {iteration} (4 updates kept): non-finite loss") for m in said), said
    report = str(sentinel.report)
    assert report.startswith("non-finite loss at step 4 (samples b4)\n"), report
    assert "input 0: [0] Float: empty;" in report, report  # the masked selection, not "no finite value"
    assert sentinel.report.iteration == 4


def test_without_an_iteration_the_sentinel_counts_begin_step_calls():
    model = TinyDepthNet()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    sentinel = depthguard.Sentinel(model, optimizer, policy="skip", start_step=100)
    train(sentinel, model, optimizer, 5, empty_at={2}, give_iteration=False)
    (event,) = sentinel.events
    assert (event.step, event.iteration) == (102, 102)
    assert sentinel.step == 104  # 5 batches from step 100, one skipped


def test_the_warnings_go_to_pythons_logging_under_the_depthguard_logger(caplog):
    model = TinyDepthNet()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    sentinel = depthguard.Sentinel(model, optimizer, policy="skip", forensics=False)
    with caplog.at_level(logging.WARNING, logger="depthguard"):
        train(sentinel, model, optimizer, 4, empty_at={1})
    warnings = [r for r in caplog.records if r.name == "depthguard" and r.levelno == logging.WARNING]
    assert any("step 1: non-finite loss (samples b1)" in r.getMessage() for r in warnings)
    logging.getLogger("depthguard").setLevel(logging.ERROR)  # a logging filter silences them
    try:
        caplog.clear()
        train(sentinel, model, optimizer, 3, empty_at={5}, start=4)
        assert not [r for r in caplog.records if r.name == "depthguard"]
    finally:
        logging.getLogger("depthguard").setLevel(logging.NOTSET)


def test_another_torch_than_the_one_it_was_built_for_is_named_at_import():
    fake = "import torch; torch.__version__ = '2.99.0+cu999'; import depthguard"
    done = subprocess.run([sys.executable, "-c", fake], capture_output=True, text=True, env=dict(os.environ))
    assert done.returncode != 0
    message = done.stderr.strip().splitlines()[-1]
    assert message.startswith("ImportError: depthguard was built for torch ")
    assert "this Python runs torch 2.99.0 (" in message
    assert "pip install --no-build-isolation --no-cache-dir --force-reinstall --no-deps" in message
    assert "undefined symbol" not in done.stderr


def test_the_package_knows_its_version_and_its_torch():
    from depthguard import _build_info
    assert depthguard.__version__ == _build_info.VERSION
    assert _build_info.TORCH_VERSION == torch.__version__.split("+")[0]
    assert _build_info.CUDA_VERSION == torch.version.cuda
