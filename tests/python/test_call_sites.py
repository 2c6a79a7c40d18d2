"""Where in the user's code: each report names the file, line and function that called the
first non-finite operator (and each of its producers), a scope that is never '', and the fix
as PyTorch code, with BTS's, GLPDepth's and AdaBins' forms of the loss and head."""
import json
import logging
import os
import re
import subprocess
import warnings

import pytest
import torch

import depthguard
import repo_styles
from conftest import TinyDepthNet, batch
from repo_styles import AdaBinsSILogLoss, BtsSilogLoss, GlpSiLogLoss, GlpStyleNet, line_of

CONFIG_KEY = re.compile(r"(^|[^\w.])(loss|model|train|guard|optimizer|schedule|data|eval)\.[a-z_.]+:")


def failing_step(tmp_path, model, loss_fn):
    """One step of a loop under the sentinel whose loss is not finite; the sentinel's report."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    sentinel = depthguard.Sentinel(model, optimizer, log_dir=tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.var's "degrees of freedom <= 0"
        sentinel.begin_step(replay=loss_fn)
        optimizer.zero_grad()
        loss = loss_fn()
        if not torch.isfinite(loss):  # checked before backward: torch 1.13's of torch.var over one value raises
            assert not sentinel.check_loss(loss)
            return sentinel.report
        loss.backward()
        assert not sentinel.check_step(loss)
    return sentinel.report


def saturated_glp():
    model = GlpStyleNet()
    with torch.no_grad():
        model.last_layer_depth.bias.fill_(-120.0)
    return model


def cases():
    image, depth = batch(1)
    one_pixel = torch.zeros_like(depth, dtype=torch.bool)
    one_pixel[0, 0, 3, 4] = True

    def bts_target_equal_to_prediction():
        model = TinyDepthNet()
        target = model(image).detach()
        return model, lambda: BtsSilogLoss()(model(image), target, target > 0)

    def glp_saturated_head():
        model = saturated_glp()
        return model, lambda: GlpSiLogLoss()(model(image), depth)

    def adabins_one_valid_pixel():
        model = TinyDepthNet()
        return model, lambda: AdaBinsSILogLoss()(model(image), depth, one_pixel)

    def bts_all_zero_ground_truth():
        model = TinyDepthNet()
        zero = torch.zeros_like(depth)
        return model, lambda: BtsSilogLoss()(model(image), zero, zero > 0)

    return [
        pytest.param(bts_target_equal_to_prediction, "v1_sqrt", "SqrtBackward0", "bts-sqrt", "BtsSilogLoss.forward",
                     "BtsSilogLoss", "torch.sqrt(D)", id="bts-v1"),
        pytest.param(glp_saturated_head, "v2_log_sigmoid", "aten::log", "glp-log", "GlpSiLogLoss.forward",
                     "GlpSiLogLoss", "torch.nn.functional.logsigmoid(x)", id="glpdepth-v2"),
        pytest.param(adabins_one_valid_pixel, "v3_variance", "aten::var", "adabins-var", "AdaBinsSILogLoss.forward",
                     "AdaBinsSILogLoss", "torch.var(g, correction=0)", id="adabins-v3"),
        pytest.param(bts_all_zero_ground_truth, "empty_mask", "aten::mean", "bts-sqrt", "BtsSilogLoss.forward",
                     "BtsSilogLoss", "mask.sum().clamp_min(1)", id="bts-empty-mask"),
    ]


@pytest.mark.parametrize("make, cause, op_name, marker, function, scope, fix", cases())
def test_the_report_names_the_line_the_scope_and_the_pytorch_fix(tmp_path, caplog, make, cause, op_name, marker,
                                                                  function, scope, fix):
    model, loss_fn = make()
    with caplog.at_level(logging.WARNING, logger="depthguard"):
        report = failing_step(tmp_path, model, loss_fn)
    assert report.cause == cause
    op = report.op
    assert (op.op, op.file, op.line, op.function) == (op_name, repo_styles.__file__, line_of(marker), function)
    assert op.module == scope
    here = f"{repo_styles.__file__}:{line_of(marker)}"
    assert report.fix_at[0] == here
    assert fix in report.remedy and not CONFIG_KEY.search(report.remedy), report.remedy
    # the same in every rendering: report.txt, report.json, the log line
    folder = tmp_path / "forensics" / "step-0"
    text = (folder / "report.txt").read_text()
    assert f"called at {here} ({function})" in text and f"fix at {here}" in text, text
    saved = json.loads((folder / "report.json").read_text())
    assert saved["op"]["site"] == {"file": repo_styles.__file__, "line": line_of(marker), "function": function}
    assert saved["remedy_terms"] == "pytorch" and saved["fix_at"][0] == here
    assert any(f"cause {cause} at {here} ({function})" in r.getMessage() for r in caplog.records), caplog.text


def test_v2s_fix_names_the_sigmoids_line_too_in_the_root_modules_forward(tmp_path):
    """GLPDepth's sigmoid runs in the root module's forward: its scope is the root's class."""
    image, depth = batch(2)
    model = saturated_glp()
    report = failing_step(tmp_path, model, lambda: GlpSiLogLoss()(model(image), depth))
    sigmoid = f"aten::sigmoid in GlpStyleNet at {repo_styles.__file__}:{line_of('glp-sigmoid')} (GlpStyleNet.forward)"
    assert sigmoid in report.op.producers, report.op.producers
    assert report.fix_at == [f"{repo_styles.__file__}:{line_of('glp-log')}",
                             f"{repo_styles.__file__}:{line_of('glp-sigmoid')}"]
    assert all(" in " in p for p in report.op.producers)  # every producer has a scope


def test_an_inline_loss_in_the_replay_closure_is_in_scope_loss(tmp_path):
    model = TinyDepthNet()
    image, depth = batch(3)
    zero = torch.zeros_like(depth)
    report = failing_step(tmp_path, model, lambda: (model(image) - zero)[zero > 0].mean())
    assert report.cause == "empty_mask"
    assert report.op.module == "loss" and report.op.file == __file__
    assert report.op.function.endswith("<lambda>")


@pytest.mark.skipif(not os.environ.get("DEPTHGUARD_CLI"), reason="the CLI's report (ctest names it)")
def test_the_html_report_of_the_log_directory_shows_the_line(tmp_path):
    image, depth = batch(4)
    model = saturated_glp()
    failing_step(tmp_path, model, lambda: GlpSiLogLoss()(model(image), depth))
    done = subprocess.run([os.environ["DEPTHGUARD_CLI"], "--log-level", "warn", "report", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "report.html").read_text()
    log_line = f"{repo_styles.__file__}:{line_of('glp-log')}"
    assert json.dumps(f"{log_line} (GlpSiLogLoss.forward)") in page
    assert json.dumps(f"{log_line} and {repo_styles.__file__}:{line_of('glp-sigmoid')}") in page
