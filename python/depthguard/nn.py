"""``depthguard.nn``: the paper's guideline forms as a PyTorch import (docs/python.md, "Before
the NaN"). Each is a torch operator from depthguard's C++ core (``torch.ops.depthguard``),
whose autograd is that of the ATen operators it is made of: it runs under ``torch.compile``,
autocast and on any device.

    log_depth = depthguard.nn.log_depth_from_logits(logits, max_depth=10.0)  # not log(sigmoid(x) * 10)
    loss = depthguard.nn.silog_loss(log_depth, target)                        # D, no sqrt, population variance
"""
import torch

from . import _C  # noqa: F401  (registers torch.ops.depthguard)


def log_depth_from_logits(x, max_depth):
    """``log(sigmoid(x) * max_depth)`` as ``log(max_depth) + logsigmoid(x)``: never
    ``log(0)``. ``max_depth > 0`` and finite. ``x = -inf`` gives ``-inf`` with gradient 1,
    ``+inf`` gives ``log(max_depth)``; the gradient is in [0, 1]. Runs in ``x``'s dtype."""
    return torch.ops.depthguard.log_depth_from_logits(x, float(max_depth))


def masked_variance(x, mask):
    """The population variance of ``x`` where the bool ``mask`` (``x``'s shape) is true, two
    passes, in float32 (float64 for float64). No valid element: 0 with a zero gradient; one:
    0. NaN or inf outside the mask is ignored, forward and backward."""
    return torch.ops.depthguard.masked_variance(x, mask)


def silog_loss(log_pred, target, mask=None, lambd=0.85):
    """The SILog training objective ``D = Var(d) + (1 - lambd) * mean(d)**2`` over the valid
    pixels, ``d = log_pred - log(target)``: the population variance and no square root (log
    ``D.detach().sqrt()`` for the SILog figure). Valid: ``target > 0`` and finite, and
    ``mask`` where given. ``lambd`` in [0, 1]. No valid pixel: 0 with a zero gradient, never
    a division by zero. In float32 (float64 for float64 inputs)."""
    return torch.ops.depthguard.silog_loss(log_pred, target, mask, float(lambd))


class SILogLoss(torch.nn.Module):
    """:func:`silog_loss` as a module. ``empty_batches`` (a buffer on the loss's device, read
    without a device wait only when you read it) counts the calls that had no valid pixel."""

    def __init__(self, lambd=0.85):
        super().__init__()
        if not 0.0 <= lambd <= 1.0:
            raise ValueError(f"lambd must be in [0, 1], got {lambd}")
        self.lambd = float(lambd)
        self.register_buffer("empty_batches", torch.zeros((), dtype=torch.long), persistent=False)

    def forward(self, log_pred, target, mask=None):
        valid = torch.ops.depthguard.silog_valid_mask(target, mask)
        self.empty_batches = self.empty_batches.to(target.device) + (~valid.any()).long()
        return silog_loss(log_pred, target, mask, self.lambd)
