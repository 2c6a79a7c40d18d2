"""Before the NaN: depthguard.audit names the paper's vulnerable forms in one healthy step of
a loop's own code (the line, the risk, the fix as PyTorch code), with BTS's, GLPDepth's and
AdaBins' forms of the loss and head, and finds nothing in the guideline forms."""
import math
import re

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import depthguard
import repo_styles
from conftest import batch
from repo_styles import AdaBinsSILogLoss, BtsSilogLoss, GlpSiLogLoss, GlpStyleNet, line_of

CONFIG_KEY = re.compile(r"(^|[^\w.])(loss|model|train|guard|optimizer|schedule|data|eval)\.[a-z_.]+:")


class SoftplusNet(nn.Module):
    """AdaBins' head is no sigmoid: a positive depth from a softplus."""

    def __init__(self, channels=8):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(3, channels, 3, padding=1), nn.ReLU())
        self.head = nn.Conv2d(channels, 1, 3, padding=1)

    def forward(self, x):
        return F.softplus(self.head(self.encoder(x))) + 1e-3


def forms_of(model, loss_closure):
    report = depthguard.audit(model, loss_closure)
    assert report.clean  # the kernels are right; the forms have not failed yet
    return report.forms


def kinds(forms):
    return sorted({f.kind for f in forms})


def found(forms, kind):
    (form,) = [f for f in forms if f.kind == kind]
    return form


def test_bts_finds_the_root_and_the_log_of_the_heads_sigmoid_at_their_lines():
    torch.manual_seed(0)
    image, depth = batch(1)
    model = GlpStyleNet()
    forms = forms_of(model, lambda: BtsSilogLoss()(model(image), depth, depth > 0))
    assert kinds(forms) == ["empty_mask", "v1_sqrt", "v2_log_sigmoid"]
    v1 = found(forms, "v1_sqrt")
    assert (v1.operator, v1.file, v1.line) == ("aten::sqrt", repo_styles.__file__, line_of("bts-sqrt"))
    assert v1.where == "BtsSilogLoss" and v1.function == "BtsSilogLoss.forward"
    assert "1 / (2 sqrt(D))" in v1.risk and "D = " in v1.evidence
    v2 = found(forms, "v2_log_sigmoid")
    assert v2.operator == "aten::log" and v2.line == line_of("bts-sqrt") - 1
    assert f"repo_styles.py:{line_of('glp-sigmoid')}" in v2.evidence  # the sigmoid's own line
    assert "logsigmoid(x)" in v2.fix
    for form in forms:
        assert not CONFIG_KEY.search(form.fix), form.fix  # PyTorch code, no depthguard key


def test_glpdepth_finds_v1_and_v2_and_no_v3():
    torch.manual_seed(0)
    image, depth = batch(2)
    model = GlpStyleNet()
    forms = forms_of(model, lambda: GlpSiLogLoss()(model(image), depth))
    assert "v1_sqrt" in kinds(forms) and "v3_variance" not in kinds(forms)
    assert found(forms, "v2_log_sigmoid").line == line_of("glp-log")


def test_adabins_finds_its_unbiased_variance_and_no_sigmoid():
    torch.manual_seed(0)
    image, depth = batch(3)
    model = SoftplusNet()
    forms = forms_of(model, lambda: AdaBinsSILogLoss()(model(image), depth, depth > 0))
    assert kinds(forms) == ["empty_mask", "v1_sqrt", "v3_variance"]
    v3 = found(forms, "v3_variance")
    assert (v3.operator, v3.line) == ("aten::var", line_of("adabins-var"))
    assert "correction=0" in v3.fix and "N - 1" in v3.risk
    assert "masked value(s)" in v3.evidence
    text = str(v3)
    assert text.startswith("[v3_variance] aten::var in AdaBinsSILogLoss at ") and "fix: " in text


def one_pass_variance_loss(pred, target):
    mask = target > 0
    d = torch.log(pred[mask]) - torch.log(target[mask])
    return (d ** 2).mean() - d.mean() ** 2  # E[d^2] - E[d]^2, no root


def test_a_one_pass_variance_that_can_cancel_is_v3():
    torch.manual_seed(0)
    image, depth = batch(4)
    model = SoftplusNet()
    forms = forms_of(model, lambda: one_pass_variance_loss(model(image), depth))
    assert kinds(forms) == ["empty_mask", "v3_variance"]
    assert "cancels" in found(forms, "v3_variance").risk


def guideline_loss(log_pred, target, lambd=0.85):
    """The guideline forms: no root, the log-depth from the fused log-sigmoid, a population
    variance over the mask, a count clamped to 1."""
    mask = target > 0
    log_target = torch.log(torch.where(mask, target, torch.ones_like(target)))
    d = (log_pred - log_target) * mask
    n = mask.sum().clamp_min(1)
    mean = d.sum() / n
    variance = ((d - mean) ** 2 * mask).sum() / n
    return variance + (1 - lambd) * mean ** 2


class FusedNet(GlpStyleNet):
    def forward(self, x):
        logits = self.last_layer_depth(self.encoder(x))
        return F.logsigmoid(logits) + math.log(self.max_depth)


def test_the_guideline_forms_give_no_finding():
    torch.manual_seed(0)
    image, depth = batch(5)
    model = FusedNet()
    assert forms_of(model, lambda: guideline_loss(model(image), depth)) == []


def test_a_root_computed_for_logging_is_no_risk():
    torch.manual_seed(0)
    image, depth = batch(6)
    model = FusedNet()

    def loss():
        objective = guideline_loss(model(image), depth)
        with torch.no_grad():
            torch.sqrt(objective)  # the figure a log shows, outside autograd
        return objective

    assert forms_of(model, loss) == []


def test_in_float16_a_sigmoid_near_the_end_of_its_range_is_named():
    """As autocast runs it on a GPU; float16 on the CPU here, where there is none."""
    try:
        torch.sigmoid(torch.zeros(1, dtype=torch.float16))
    except RuntimeError:
        pytest.skip("this torch's CPU has no float16 sigmoid (1.13)")
    torch.manual_seed(0)
    model = nn.Linear(4, 4)
    x = torch.ones(2, 4)
    forms = forms_of(model, lambda: torch.sigmoid(model(x).half() * 0 - 16).float().mean())
    precision = found(forms, "precision")
    assert precision.operator == "aten::sigmoid" and "reached -16 in float16" in precision.evidence


def test_the_sentinel_names_the_forms_at_its_first_step(caplog):
    torch.manual_seed(0)
    image, depth = batch(7)
    model = GlpStyleNet()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    sentinel = depthguard.Sentinel(model, optimizer, audit=True)
    loss_fn = lambda: GlpSiLogLoss()(model(image), depth)  # noqa: E731
    with caplog.at_level("WARNING", logger="depthguard"):
        sentinel.begin_step(replay=loss_fn)
    assert kinds(sentinel.audit_report.forms) == kinds(forms_of(model, loss_fn))
    said = [r.getMessage() for r in caplog.records]
    assert any(s.startswith("vulnerable form before any NaN: [v2_log_sigmoid] aten::log") for s in said), said
