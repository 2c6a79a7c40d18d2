"""depthguard's NaN sentinel for PyTorch training loops.

The checks, the decisions (skip, rollback, halt), the forensics replay and the reports are
those of depthguard's C++ library, loaded into this interpreter's LibTorch; this package
adapts a ``torch.nn.Module``, a ``torch.optim.Optimizer``, an LR scheduler and a
``GradScaler`` to it. See docs/python.md.
"""
import torch  # loads LibTorch before the extension that links it

from . import _build_info


def _check_torch():
    """The extension works only with the torch it was built against: another one would fail
    with an undefined symbol, or worse, load and crash. Say which two differ, and how to
    rebuild, before loading it."""
    running = (torch.__version__.split("+")[0], torch.version.cuda or None)
    built = (_build_info.TORCH_VERSION, _build_info.CUDA_VERSION)
    if running != built:
        def name(version, cuda):
            return f"torch {version} ({'CUDA ' + cuda if cuda else 'CPU'})"
        raise ImportError(
            f"depthguard was built for {name(*built)}, and this Python runs {name(*running)} "
            f"(from {torch.__file__}): its C++ extension works only with the torch it was built "
            "against. Rebuild it for this torch: pip install --no-build-isolation --no-cache-dir "
            "--force-reinstall --no-deps <depthguard's source directory or git URL> (docs/python.md)")


_check_torch()

from . import _C  # noqa: E402  (after the check: a mismatch must not reach the loader)
from ._C import AuditReport, Event, Finding, FormFinding, Operator, Report, TensorSummary
from .audit import AuditFailed, audit
from .diagnose_command import diagnose
from .sentinel import NonFiniteHalt, Sentinel

__version__ = _build_info.VERSION
__all__ = ["Sentinel", "NonFiniteHalt", "Event", "Report", "Operator", "TensorSummary", "audit", "AuditReport",
           "Finding", "FormFinding", "AuditFailed", "diagnose"]
