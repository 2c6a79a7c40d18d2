"""depthguard's NaN sentinel for PyTorch training loops.

The checks, the decisions (skip, rollback, halt), the forensics replay and the reports are
those of depthguard's C++ library, loaded into this interpreter's LibTorch; this package
adapts a ``torch.nn.Module``, a ``torch.optim.Optimizer``, an LR scheduler and a
``GradScaler`` to it. See docs/python.md.
"""
import torch  # noqa: F401  (loads LibTorch before the extension that links it)

from . import _C
from ._C import Event, Operator, Report, TensorSummary
from .sentinel import NonFiniteHalt, Sentinel

__all__ = ["Sentinel", "NonFiniteHalt", "Event", "Report", "Operator", "TensorSummary"]
