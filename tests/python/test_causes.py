"""The paper's three vulnerabilities in plain PyTorch loops, named by depthguard."""
import json
import subprocess
import sys
import warnings

import pytest
import torch

import depthguard
from conftest import TinyDepthNet, batch, diagnose_commands, silog_bts, silog_toolbox


def one_step(model, optimizer, sentinel, loss_fn, image, depth, mask):
    sentinel.begin_step(samples=["room_0", "room_1"], replay=lambda: loss_fn(model(image), depth, mask))
    optimizer.zero_grad()
    loss = loss_fn(model(image), depth, mask)
    loss.backward()
    return sentinel.check_step(loss, max_norm=1.0)


def underflowing_model():
    model = TinyDepthNet()
    with torch.no_grad():
        model.head.conv.bias.fill_(-120.0)  # sigmoid(x) underflows to 0 in float32 below about -88
    return model


def test_log_of_a_heads_sigmoid_is_v2_at_the_forward_log():
    model = underflowing_model()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    sentinel = depthguard.Sentinel(model, optimizer, policy="skip")
    image, depth = batch(1)
    assert not one_step(model, optimizer, sentinel, silog_bts, image, depth, depth > 0)
    event = sentinel.events[0]
    assert (event.stage, event.action, event.cause) == ("loss", "skip", "v2_log_sigmoid")
    assert event.samples == ["room_0", "room_1"]
    op = sentinel.report.op
    assert (op.op, op.direction) == ("aten::log", "forward")
    assert any(p.startswith("aten::sigmoid in head at ") for p in op.producers)
    assert op.inputs[0].zeros > 0 and op.inputs[0].dtype == "Float" and op.inputs[0].device == "cpu"
    assert "log-sigmoid" in sentinel.report.remedy
    assert sentinel.step == 0  # skipped: the step did not advance


def test_sqrt_of_a_zero_silog_on_one_valid_pixel_is_v1_in_backward():
    model = TinyDepthNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
    sentinel = depthguard.Sentinel(model, optimizer)
    image, depth = batch(2)
    mask = torch.zeros_like(depth, dtype=torch.bool)
    mask[0, 0, 5, 7] = True  # a crop with one valid pixel: mean(d^2) - mean(d)^2 is exactly 0
    loss_fn = lambda p, g, m: silog_bts(p, g, m, variance_focus=1.0)  # noqa: E731
    assert not one_step(model, optimizer, sentinel, loss_fn, image, depth, mask)
    event = sentinel.events[0]
    assert (event.stage, event.cause) == ("gradient", "v1_sqrt")
    op = sentinel.report.op
    assert op.direction == "backward" and op.op == "SqrtBackward0"


def test_torch_var_of_one_pixel_is_v3_before_backward():
    """The per-check calls: the loss checked before backward (torch 1.13's backward of
    torch.var over one value raises "VarBackward0 returned an invalid gradient")."""
    model = TinyDepthNet()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    sentinel = depthguard.Sentinel(model, optimizer)
    image, depth = batch(3)
    mask = torch.zeros_like(depth, dtype=torch.bool)
    mask[1, 0, 2, 2] = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.var's "degrees of freedom <= 0"
        sentinel.begin_step(replay=lambda: silog_toolbox(model(image), depth, mask))
        optimizer.zero_grad()
        loss = silog_toolbox(model(image), depth, mask)
        assert not sentinel.check_loss(loss)
    event = sentinel.events[0]
    assert (event.stage, event.cause) == ("loss", "v3_variance")
    assert sentinel.report.op.op == "aten::var"


def test_an_all_zero_ground_truth_map_is_an_empty_mask():
    model = TinyDepthNet()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    sentinel = depthguard.Sentinel(model, optimizer)
    image, depth = batch(4)
    depth.zero_()
    assert not one_step(model, optimizer, sentinel, silog_bts, image, depth, depth > 0)
    assert sentinel.events[0].cause == "empty_mask"
    assert sentinel.report.op.op == "aten::mean"


def test_halt_raises_with_the_event_and_report(tmp_path):
    model = underflowing_model()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    sentinel = depthguard.Sentinel(model, optimizer, policy="halt", log_dir=tmp_path)
    image, depth = batch(5)
    with pytest.raises(depthguard.NonFiniteHalt) as halt:
        one_step(model, optimizer, sentinel, silog_bts, image, depth, depth > 0)
    assert halt.value.event.action == "halt" and halt.value.report.cause == "v2_log_sigmoid"
    assert "v2_log_sigmoid" in str(halt.value)
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    assert '"cause":"v2_log_sigmoid"' in lines[0] and '"stage":"loss"' in lines[0]
    assert (tmp_path / "forensics" / "step-0" / "report.json").exists()
    assert list((tmp_path / "tb").glob("events.out.tfevents.*"))


def test_a_healthy_loop_reads_the_device_once_per_step():
    model = TinyDepthNet()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    sentinel = depthguard.Sentinel(model, optimizer)
    for step in range(5):
        image, depth = batch(10 + step)
        assert one_step(model, optimizer, sentinel, silog_bts, image, depth, depth > 0)
        optimizer.step()
        assert sentinel.end_step()
    assert sentinel.step == 5 and sentinel.device_reads == 5 and not sentinel.events
    assert sentinel.settle()


def test_bad_options_are_value_errors_naming_them():
    model = TinyDepthNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="policy"):
        depthguard.Sentinel(model, optimizer, policy="ignore")
    with pytest.raises(ValueError, match="lr_factor"):
        depthguard.Sentinel(model, optimizer, lr_factor=2.0)
    with pytest.raises(TypeError, match="optimizer"):
        depthguard.Sentinel(model, "adam")


def test_anomaly_mode_next_to_depthguard_on_the_same_v2_nan(record_property):
    """What torch.autograd.detect_anomaly says of the V2 NaN; depthguard's answer is asserted above."""
    model = underflowing_model()
    image, depth = batch(1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(RuntimeError) as anomaly:
            with torch.autograd.detect_anomaly(check_nan=True):
                silog_bts(model(image), depth, depth > 0).backward()
    said = str(anomaly.value).splitlines()[0]
    record_property("detect_anomaly", said)
    print("detect_anomaly:", said)
    # It names a backward node, after the forward pass made -inf and NaN unnoticed.
    assert "Backward" in said
    assert caught  # and a traceback of the forward call as a warning


@pytest.mark.parametrize("diagnose", diagnose_commands())
def test_depthguard_diagnose_replays_the_python_loops_bundle(tmp_path, diagnose):
    model = underflowing_model()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    sentinel = depthguard.Sentinel(model, optimizer, log_dir=tmp_path)
    image, depth = batch(1)
    assert not one_step(model, optimizer, sentinel, silog_bts, image, depth, depth > 0)
    bundle = tmp_path / "forensics" / "step-0"
    assert (bundle / "replay.pt").exists()
    done = subprocess.run(diagnose + [str(bundle), "--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout[done.stdout.index("{"):])  # after the CLI's log line
    assert (report["step"], report["stage"], report["cause"]) == (0, "loss", "v2_log_sigmoid")
    assert report["op"]["name"] == "aten::log" and report["samples"] == ["room_0", "room_1"]
    assert any(p.startswith("aten::sigmoid") for p in report["op"]["producers"])
    text = subprocess.run(diagnose + [str(bundle / "replay.pt")], capture_output=True, text=True, timeout=120)
    assert text.returncode == 0 and "v2_log_sigmoid" in text.stdout, text.stderr
    # a damaged replay is an error naming the file
    (bundle / "replay.pt").write_bytes(b"not a zip")
    done = subprocess.run(diagnose + [str(bundle)], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "replay.pt: not a TorchScript replay" in done.stdout + done.stderr


def test_python_diagnose_names_what_it_cannot_replay(tmp_path):
    """The package's diagnose replays a Python loop's reproducer; the trainer's bundle.pt and
    a directory without either are errors that say which, with a non-zero exit."""
    def diagnose(*args):
        return subprocess.run([sys.executable, "-m", "depthguard", *args], capture_output=True, text=True, timeout=60)
    trainer = tmp_path / "step-3"
    trainer.mkdir()
    (trainer / "bundle.pt").write_bytes(b"a trainer bundle")
    done = diagnose("diagnose", str(trainer))
    assert done.returncode == 1 and "reproducer of depthguard's trainer (bundle.pt)" in done.stderr, done.stderr
    done = diagnose("diagnose", str(tmp_path / "nothing-here"))
    assert done.returncode == 1 and "nothing-here: no replay.pt there" in done.stderr, done.stderr
    done = diagnose("frobnicate")
    assert done.returncode == 2 and "'frobnicate' is not a command" in done.stderr, done.stderr
    with pytest.raises(ValueError, match="no replay.pt there"):
        depthguard.diagnose(tmp_path)
