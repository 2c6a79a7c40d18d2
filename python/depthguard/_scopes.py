"""The model as the C++ core's operator callbacks see it: each submodule's forward inside an
operator scope named as ``model.named_modules()`` names it, and a DistributedDataParallel
model kept from its collectives while one rank runs a step alone (a replay, an audit)."""
import contextlib

import torch

from . import _C


@contextlib.contextmanager
def alone(model):
    """A DistributedDataParallel model neither broadcasts its buffers in forward nor
    all-reduces in backward inside this block: only this rank runs the step."""
    if not isinstance(model, torch.nn.parallel.DistributedDataParallel):
        yield
        return
    syncing = model.require_forward_param_sync
    model.require_forward_param_sync = False
    try:
        with model.no_sync():
            yield
    finally:
        model.require_forward_param_sync = syncing


def in_module_scopes(model, fn):
    """``fn()`` (alone) with each submodule of ``model`` in its operator scope, so a report
    gives the module path of an operator."""
    handles, open_paths = [], []

    def enter(path):
        def hook(module, args):
            outer = open_paths[-1] if open_paths else ""
            relative = path[len(outer) + 1:] if outer and path.startswith(outer + ".") else path
            open_paths.append(path)
            _C.push_scope(relative)
        return hook

    def leave(module, args, output):
        open_paths.pop()
        _C.pop_scope()

    for path, module in model.named_modules():
        if path:
            handles.append(module.register_forward_pre_hook(enter(path)))
            handles.append(module.register_forward_hook(leave))
    try:
        with alone(model):
            return fn()
    finally:
        for h in handles:
            h.remove()
        while open_paths:
            open_paths.pop()
            _C.pop_scope()
