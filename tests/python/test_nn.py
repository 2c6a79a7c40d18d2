"""depthguard.nn: the guideline forms as torch operators from the C++ core, at their edges
(N = 0 and 1 valid pixels, +-inf and NaN, float16 and bfloat16), under autograd, autocast and
torch.compile, and with no finding from the forms check."""
import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import depthguard
import depthguard.nn as dnn
from conftest import batch


# What an operator's TORCH_CHECK raises through torch.ops: RuntimeError (torch 2), ValueError (1.13).
OP_ERRORS = (RuntimeError, ValueError)


def half_on_cpu(op):
    """torch 1.13's CPU has no float16 sigmoid or log-sigmoid; 2.x has."""
    try:
        op(torch.zeros(1, dtype=torch.float16))
        return True
    except RuntimeError:
        return False


def grad_of(fn, x):
    x = x.detach().clone().requires_grad_(True)
    fn(x).sum().backward()
    return x.grad


# log_depth_from_logits

def test_the_fused_log_depth_is_log_of_the_scaled_sigmoid_where_that_is_finite():
    x = torch.linspace(-20, 20, 41, dtype=torch.float64)
    assert torch.allclose(dnn.log_depth_from_logits(x, 10.0), torch.log(torch.sigmoid(x) * 10), rtol=1e-12)


def test_the_fused_log_depth_never_underflows_and_its_gradient_stays_in_0_1():
    x = torch.tensor([-1000.0, -100.0, 0.0, 100.0])
    assert torch.log(torch.sigmoid(x) * 10)[0] == -math.inf  # the vulnerable form
    y = dnn.log_depth_from_logits(x, 10.0)
    assert torch.isfinite(y).all() and y[1] == pytest.approx(-100 + math.log(10))
    g = grad_of(lambda t: dnn.log_depth_from_logits(t, 10.0), x)
    assert ((g >= 0) & (g <= 1)).all() and g[0] == 1 and g[3] < 1e-30


def test_the_fused_log_depth_at_inf_nan_and_empty():
    y = dnn.log_depth_from_logits(torch.tensor([-math.inf, math.inf, math.nan]), 10.0)
    assert y[0] == -math.inf and y[1] == pytest.approx(math.log(10)) and math.isnan(y[2])
    assert dnn.log_depth_from_logits(torch.empty(0), 10.0).shape == (0,)
    with pytest.raises(OP_ERRORS, match="max_depth must be positive and finite, got 0"):
        dnn.log_depth_from_logits(torch.zeros(2), 0.0)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_the_fused_log_depth_in_reduced_precision_keeps_its_dtype_and_range(dtype):
    if dtype == torch.float16 and not half_on_cpu(torch.sigmoid):
        pytest.skip("this torch's CPU has no float16 sigmoid")
    x = torch.tensor([-100.0, 0.0], dtype=dtype)
    y = dnn.log_depth_from_logits(x, 10.0)
    assert y.dtype == dtype and torch.isfinite(y).all()
    assert torch.log(torch.sigmoid(x) * 10)[0] == -math.inf  # float16/bfloat16's sigmoid(-100) is 0


# masked_variance

def test_the_masked_variance_is_the_population_variance_of_the_selection():
    torch.manual_seed(0)
    x, mask = torch.randn(4, 5, dtype=torch.float64), torch.rand(4, 5) > 0.4
    assert dnn.masked_variance(x, mask).item() == pytest.approx(torch.var(x[mask], unbiased=False).item(), rel=1e-12)


def test_the_masked_variance_of_none_and_one_value_is_zero_with_a_zero_gradient():
    x = torch.randn(3, 3)
    one = torch.zeros(3, 3, dtype=torch.bool)
    one[1, 2] = True
    for mask in (torch.zeros(3, 3, dtype=torch.bool), one):
        assert dnn.masked_variance(x, mask).item() == 0
        assert torch.equal(grad_of(lambda t: dnn.masked_variance(t, mask), x), torch.zeros(3, 3))


def test_the_masked_variance_ignores_what_lies_outside_the_mask_forward_and_backward():
    x = torch.tensor([1.0, 2.0, math.inf, math.nan, -math.inf])
    mask = torch.tensor([True, True, False, False, False])
    assert dnn.masked_variance(x, mask).item() == pytest.approx(0.25)
    g = grad_of(lambda t: dnn.masked_variance(t, mask), x)
    assert torch.isfinite(g).all() and g[2:].eq(0).all()
    assert math.isnan(dnn.masked_variance(x, torch.tensor([True, True, False, True, False])).item())


def test_the_masked_variance_runs_in_float32_for_half_types_and_says_what_is_wrong():
    mask = torch.ones(4, dtype=torch.bool)
    assert dnn.masked_variance(torch.ones(4, dtype=torch.float16), mask).dtype == torch.float32
    assert dnn.masked_variance(torch.ones(4, dtype=torch.bfloat16), mask).dtype == torch.float32
    assert dnn.masked_variance(torch.ones(4, dtype=torch.float64), mask).dtype == torch.float64
    with pytest.raises(OP_ERRORS, match="masked_variance: mask must be a bool tensor"):
        dnn.masked_variance(torch.ones(4), torch.ones(4))
    with pytest.raises(OP_ERRORS, match="masked_variance: mask must have the shape"):
        dnn.masked_variance(torch.ones(4), torch.ones(3, dtype=torch.bool))


# silog_loss

def reference_d(log_pred, target, lambd):
    mask = target > 0
    d = log_pred[mask].double() - torch.log(target[mask]).double()
    return torch.var(d, unbiased=False) + (1 - lambd) * d.mean() ** 2


def test_the_silog_objective_is_d_with_the_population_variance_and_no_root():
    torch.manual_seed(0)
    _, depth = batch(1)
    log_pred = torch.randn_like(depth)
    assert dnn.silog_loss(log_pred, depth, lambd=0.85).item() == pytest.approx(
        reference_d(log_pred, depth, 0.85).item(), rel=1e-5)


def test_no_valid_pixel_is_a_zero_loss_with_a_zero_gradient_and_is_counted():
    log_pred, target = torch.randn(2, 1, 4, 4), torch.zeros(2, 1, 4, 4)
    assert dnn.silog_loss(log_pred, target).item() == 0
    assert torch.equal(grad_of(lambda t: dnn.silog_loss(t, target), log_pred), torch.zeros_like(log_pred))
    criterion = dnn.SILogLoss()
    criterion(log_pred, target)
    criterion(log_pred, target + 1)
    assert criterion.empty_batches.item() == 1


def test_one_valid_pixel_is_the_scale_term_alone_and_finite():
    log_pred, target = torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 2, 2)
    target[0, 0, 1, 1] = math.e
    assert dnn.silog_loss(log_pred, target, lambd=0.85).item() == pytest.approx(0.15)
    assert dnn.silog_loss(log_pred, target, lambd=1.0).item() == 0  # where sqrt(D) breaks, D is 0
    assert torch.isfinite(grad_of(lambda t: dnn.silog_loss(t, target, lambd=1.0), log_pred)).all()


def test_invalid_pixels_are_ignored_whatever_they_hold():
    log_pred = torch.tensor([0.0, 1.0, math.nan, math.inf, -math.inf])
    target = torch.tensor([1.0, math.e, 0.0, -1.0, math.nan])
    loss = dnn.silog_loss(log_pred, target)
    assert torch.isfinite(loss) and loss.item() == pytest.approx(0.0, abs=1e-6)
    g = grad_of(lambda t: dnn.silog_loss(t, target), log_pred)
    assert torch.isfinite(g).all() and g[2:].eq(0).all()
    mask = torch.tensor([True, False, False, False, False])
    assert dnn.silog_loss(log_pred, target, mask=mask).item() == 0


def test_the_silog_objective_says_what_is_wrong():
    with pytest.raises(OP_ERRORS, match=r"lambd must be in \[0, 1\], got 1.5"):
        dnn.silog_loss(torch.zeros(2), torch.ones(2), lambd=1.5)
    with pytest.raises(OP_ERRORS, match="log_pred and target must have the same shape"):
        dnn.silog_loss(torch.zeros(2), torch.ones(3))
    with pytest.raises(ValueError, match=r"lambd must be in \[0, 1\]"):
        dnn.SILogLoss(lambd=-0.1)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_the_silog_objective_of_reduced_precision_inputs_is_float32(dtype):
    torch.manual_seed(0)
    _, depth = batch(2)
    log_pred = torch.randn_like(depth)
    loss = dnn.silog_loss(log_pred.to(dtype), depth.to(dtype))
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(dnn.silog_loss(log_pred.to(dtype).float(), depth.to(dtype).float()).item())


def test_under_autocast_and_torch_compile():
    torch.manual_seed(0)
    _, depth = batch(3)
    x = torch.randn_like(depth, requires_grad=True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = dnn.silog_loss(dnn.log_depth_from_logits(x * 2, 10.0), depth)
    loss.backward()
    assert loss.dtype == torch.float32 and torch.isfinite(x.grad).all()
    if not hasattr(torch, "compile"):
        pytest.skip("torch.compile is torch 2's")
    compiled = torch.compile(lambda t: dnn.silog_loss(dnn.log_depth_from_logits(t, 10.0), depth), backend="aot_eager")
    y = x.detach().clone().requires_grad_(True)
    compiled(y).backward()
    assert compiled(x.detach()).item() == pytest.approx(dnn.silog_loss(dnn.log_depth_from_logits(x.detach(), 10.0),
                                                                     depth).item(), rel=1e-6)
    assert torch.isfinite(y.grad).all()


class GuidelineGLP(nn.Module):
    """GLPDepth's net with its head and loss moved to depthguard.nn."""

    def __init__(self, max_depth=10.0):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU())
        self.last_layer_depth = nn.Conv2d(8, 1, 3, padding=1)
        self.max_depth = max_depth

    def forward(self, x):
        return dnn.log_depth_from_logits(self.last_layer_depth(self.encoder(x)), self.max_depth)


def test_the_forms_check_finds_nothing_in_depthguard_nn():
    torch.manual_seed(0)
    image, depth = batch(4)
    model, criterion = GuidelineGLP(), dnn.SILogLoss(lambd=0.5)
    report = depthguard.audit(model, lambda: criterion(model(image), depth))
    assert report.clean and list(report.forms) == []
    assert "depthguard.nn.log_depth_from_logits" in depthguard.audit(
        model, lambda: F.mse_loss(torch.log(torch.sigmoid(model.last_layer_depth(model.encoder(image))) * 10), depth)
    ).forms[0].fix
