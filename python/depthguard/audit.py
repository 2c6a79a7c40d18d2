"""``depthguard.audit``: one healthy training step checked before a run (docs/python.md)."""
import torch

from . import _C, _scopes


class AuditFailed(RuntimeError):
    """``Sentinel(..., audit=True)`` found a kernel that computes wrong before the first step.

    ``report`` is the :class:`depthguard.AuditReport`."""

    def __init__(self, report):
        super().__init__(str(report))
        self.report = report


def audit(model, loss_closure):
    """Runs one training step of ``model`` with every operator that does real arithmetic
    (convolutions and their backward, mm, addmm, bmm, normalisations, softmax, sums and means)
    re-run on the same inputs in float64 on the CPU, and returns an :class:`AuditReport`:
    its ``findings`` are the kernels whose output is off by more than the precision and the
    length of their sums allow (kind ``device_kernel``), each with the operator, where it ran
    (the module path), what was measured against which bound, and the fix. Its ``forms`` are
    the paper's vulnerable forms in the same step, before any NaN (:class:`FormFinding`:
    ``v1_sqrt``, ``v2_log_sigmoid``, ``v3_variance``, ``empty_mask``, ``precision``), each
    with the risk, what this step showed, the file and line of your code, and the fix as
    PyTorch code.

    ``loss_closure()`` runs the forward pass and returns the loss, as ``optimizer.step(closure)``
    takes it (without ``zero_grad`` or ``backward``: the audit runs the backward); under float16
    autocast, return the loss scaled as the step scales it (``scaler.scale(loss)``): unscaled
    float16 gradients are subnormal, which kernels flush to zero. The model's
    gradients, its buffers (BatchNorm statistics) and torch's default generators are as
    before afterwards, so a run with the audit trains as one without it. Costs a few times one
    step (the float64 reference runs on the CPU)."""
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not callable(loss_closure):
        raise TypeError(f"loss_closure must be callable, got {type(loss_closure).__name__}")

    def step():
        loss = _scopes.in_module_scopes(model, loss_closure)
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
            raise TypeError("loss_closure must return the loss as a one-element tensor, got "
                            f"{type(loss).__name__ if not isinstance(loss, torch.Tensor) else list(loss.shape)}")
        with _scopes.alone(model):
            loss.backward()

    return _C.audit(list(model.parameters()), list(model.buffers()), step)
