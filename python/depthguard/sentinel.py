"""``Sentinel``: the C++ sentinel over a PyTorch model, optimizer, scheduler and GradScaler."""
import copy
import logging
import os
import warnings
import weakref

import torch
import torch.distributed as dist

from . import _C, _scopes
from .audit import AuditFailed
from .audit import audit as audit_step

_log = logging.getLogger("depthguard")  # where the C++ core's log lines go too


class NonFiniteHalt(RuntimeError):
    """The policy stopped training at a non-finite step.

    ``event`` is the :class:`depthguard.Event` that stopped it, ``report`` the forensics
    :class:`depthguard.Report` of the session's first event (``None`` without forensics).
    """

    def __init__(self, message, event=None, report=None):
        super().__init__(message)
        self.event = event
        self.report = report


class Sentinel:
    """Watches the steps of a training loop and handles the first non-finite value of each.

    A step reads the device once (``check_step``, after backward) and queues the weight check
    for the next read (``end_step``, after ``optimizer.step()``)::

        sentinel = depthguard.Sentinel(model, optimizer, policy="rollback")
        for x, y in loader:
            sentinel.begin_step(replay=lambda: loss_fn(model(x), y))
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            if not sentinel.check_step(loss, max_norm=1.0):
                continue          # handled: update dropped or rolled back
            optimizer.step()
            sentinel.end_step()

    A transient event (the step is finite when replayed: a hardware fault or a
    nondeterministic kernel) asks for the same batch again with ``on_transient="retry"``
    (the default); a loop that runs the step again while ``retrying`` is True trains bit for
    bit as if the fault had not happened (examples/python_loop.py)::

        for x, y in loader:
            while True:
                sentinel.begin_step(replay=lambda: loss_fn(model(x), y))
                ...
                if sentinel.check_step(loss) or not sentinel.retrying:
                    break

    Args:
        model: the ``torch.nn.Module`` trained (its parameters and buffers are watched).
        optimizer: any ``torch.optim.Optimizer`` over them.
        policy: ``"auto"`` (the action follows the cause: skip a batch that broke the step,
            roll back with the learning-rate backoff when the weights did or the value comes
            back on the next batch; ``Event.reason`` says which), ``"skip"`` (drop the
            update), ``"rollback"`` (return to the last in-memory snapshot and scale the
            learning rate by ``lr_factor``) or ``"halt"`` (raise :class:`NonFiniteHalt`).
        scaler: a ``torch.amp.GradScaler`` / ``torch.cuda.amp.GradScaler``: ``check_step``
            unscales, and an overflow of the scaled gradients is routine (counted, the scale
            backed off), not an event, until the scale falls below ``min_loss_scale`` or more
            than ``max_scale_backoffs`` come in a row.
        scheduler: an LR scheduler, snapshotted and restored with the optimizer.
        max_skips: non-finite steps in a row after which skip, rollback and auto halt.
        lr_factor: the learning-rate factor of a rollback (``"rollback"``, ``"auto"``), in [0, 1].
        snapshot_interval: steps between snapshots (model, optimizer, scheduler, scaler,
            torch's CPU and CUDA RNG states; in memory).
        forensics: replay the session's first event with every operator watched.
        on_transient: ``"retry"`` (run the step again: see ``retrying``; a second transient at
            the same step follows ``policy``), ``"skip"`` or ``"halt"``, for a loss or gradient
            event whose ``replays`` (on the model's device, from the step's own state and RNG)
            are all finite.
        replays: how many times such an event's step is replayed before it is transient.
        spike_ratio, spike_mads, spike_window, spike_warmup: spike warnings: a step whose loss
            or gradient norm is at least ``spike_ratio`` times its median over the last
            ``spike_window`` steps, and more than ``spike_mads`` MADs above it on a log scale
            (after ``spike_warmup`` steps), is logged
            (``metrics.jsonl``, TensorBoard) and named in a later event's report;
            ``spike_ratio=0`` turns them off. Nothing in training changes.
        log_dir: where ``metrics.jsonl``, TensorBoard files (``tb/``) and the forensics
            (``forensics/step-N/``: ``report.json``, ``report.txt``, ``replay.pt`` and
            ``conditions.pt``, the step's thread count and RNG states, which
            ``python -m depthguard diagnose`` replays under) go; ``None``: nowhere.
        process_group: under ``torch.distributed``, the group whose ranks take the same
            action at the same step (one all-gather per step); default: the world when
            initialised.
        start_step: the step the loop starts at (a resumed run's).
        audit: at the first ``begin_step``, run :func:`depthguard.audit` on its ``replay``
            closure (which it then needs): a kernel that computes wrong raises
            :class:`AuditFailed` before the first update; each of the paper's vulnerable forms
            it finds in the step is a warning on the ``depthguard`` logger (training goes on);
            the report is ``audit_report``.
    """

    def __init__(self, model, optimizer, *, policy="auto", scaler=None, scheduler=None, max_skips=5,
                 lr_factor=0.5, snapshot_interval=50, forensics=True, min_loss_scale=1.0,
                 max_scale_backoffs=16, on_transient="retry", replays=1, spike_ratio=10.0, spike_mads=3.0,
                 spike_window=50, spike_warmup=25, log_dir=None, process_group=None, start_step=0, audit=False):
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
        _require_model_parameters(model, optimizer)
        self.model = model
        self.optimizer = optimizer
        self.scaler = scaler if scaler is not None and scaler.is_enabled() else None
        self.scheduler = scheduler
        self._snapshot = None
        self._scaler_open = False  # unscale_ ran this step, update() has not
        self._restored_lr_scale = None
        self._replay = None
        self._audit = bool(audit)
        self.audit_report = None
        self._core = _C.Sentinel(weakref.proxy(self), list(model.parameters()), list(model.buffers()),
                                 policy=policy, max_skips=max_skips, lr_factor=lr_factor,
                                 snapshot_interval=snapshot_interval, forensics=forensics,
                                 min_loss_scale=min_loss_scale, max_scale_backoffs=max_scale_backoffs,
                                 on_transient=on_transient, replays=replays, spike_ratio=spike_ratio,
                                 spike_mads=spike_mads, spike_window=spike_window, spike_warmup=spike_warmup)
        if log_dir is not None:
            os.makedirs(log_dir, exist_ok=True)
            self._core.log_to(os.fspath(log_dir), self._write_bundle)
        if process_group is not None or (dist.is_available() and dist.is_initialized()):
            group = process_group if process_group is not None else dist.group.WORLD
            nccl = dist.get_backend(group) == "nccl"
            self._core.exchange_over(group, torch.device("cuda", torch.cuda.current_device()) if nccl else
                                     torch.device("cpu"))
        self._core.start(start_step)

    # The loop's calls --------------------------------------------------------------------

    def begin_step(self, samples=None, replay=None, inputs=None, iteration=None):
        """Before each step's forward pass: the ids of its samples (named by an event), a
        closure that recomputes its loss from the batch (as ``optimizer.step(closure)``
        takes), replayed by the forensics with every operator watched (``None``: no replay),
        the batch's tensors, checked here (one more device read on a GPU), and the loop's own
        number of this step (its batch or iteration counter: ``Event.iteration``; ``None``:
        the sentinel counts ``begin_step`` calls, a retry not counted). With ``inputs``, a
        non-finite batch is an input event at ``check_step`` and the BatchNorm statistics its
        forward pass changed are put back."""
        self._replay = replay
        if self._audit:
            self._audit_first_step(replay)
        loss_fn = None if replay is None else (lambda: _scopes.in_module_scopes(self.model, replay))
        self._core.begin_step([str(s) for s in (samples or [])], loss_fn,
                              None if iteration is None else int(iteration))
        if inputs is not None:
            inputs = list(inputs)
            self._core.expect_inputs(inputs, all(bool(torch.isfinite(t).all()) for t in inputs))

    def check_step(self, loss, *, max_norm=0.0):
        """After backward: reads the loss, the gradient norm and the last update's weight
        check in one device read; clips the gradients to ``max_norm`` when > 0. With a
        scaler, unscales first (pass the unscaled loss). True: go on with
        ``optimizer.step()`` (``scaler.step``/``update``); False: the event (or a routine
        overflow) is handled, go to the next batch. The gradients may be unscaled already
        (``scaler.unscale_(optimizer)`` before ``clip_grad_norm_``, the usual AMP clipping
        recipe): then they are not unscaled again."""
        if not isinstance(loss, torch.Tensor):
            raise TypeError(f"check_step: loss must be the loss tensor (before .item(), which is a device read of "
                            f"its own), got {type(loss).__name__}")
        if self.scaler is not None:
            if not _unscaled(self.scaler, self.optimizer):
                self.scaler.unscale_(self.optimizer)
            self._scaler_open = True
        overflowed = self._found_inf(self.scaler, loss)
        back_off = self._back_off if overflowed is not None else None
        # The loss as it is: the core reads it without recording (a detach() here would make
        # a Python tensor at every step).
        return self._run(self._core.check_step, loss, overflowed, back_off, float(max_norm))

    def _found_inf(self, scaler, loss):
        """The found-inf flags unscale_ left, on the loss's device; None without them."""
        if scaler is None or not scaler.is_enabled():
            return None
        found = list(scaler._found_inf_per_device(self.optimizer).values())
        return torch.stack([f.reshape(()).to(loss.device) for f in found]) if found else None

    def _check_unscaled_step(self, loss, scaler):
        """check_step for a loop whose own GradScaler (Lightning's) has unscaled the gradients
        and will step and update itself: an overflow is routine, the scale after it is the
        one the scaler's update() will set."""
        overflowed = self._found_inf(scaler, loss)
        back_off = None
        if overflowed is not None:
            back_off = lambda: float(scaler.get_scale() * scaler.get_backoff_factor())  # noqa: E731
        return self._run(self._core.check_step, loss, overflowed, back_off, 0.0)

    def end_step(self):
        """After ``optimizer.step()`` (and ``scaler.update()``): records the step and queues
        the weight check; False when a snapshot's weight read found the previous update's
        event (handled)."""
        self._scaler_open = False
        return self._run(self._core.end_step, float(self.optimizer.param_groups[0]["lr"]))

    def check_inputs(self, *tensors):
        return self._run(self._core.check_inputs, list(tensors))

    def check_loss(self, loss):
        # The value only: a tensor in the graph is read without autograd's "requires_grad" warning.
        return self._run(self._core.check_loss, float(loss.detach() if isinstance(loss, torch.Tensor) else loss))

    def check_gradients(self, max_norm=0.0):
        return self._run(self._core.check_gradients, float(max_norm))

    def check_weights(self):
        return self._run(self._core.check_weights)

    def settle(self):
        """Reads a queued weight check now: call before logging, evaluating or saving."""
        return self._run(self._core.settle)

    # What it knows -----------------------------------------------------------------------

    @property
    def step(self):
        """Where the loop stands: after a rollback, the snapshot's step."""
        return self._core.step

    @property
    def events(self):
        return self._core.events

    @property
    def report(self):
        """The forensics :class:`depthguard.Report` of the session's first event, or None."""
        return self._core.report

    @property
    def lr_scale(self):
        """Product of the rollback learning-rate factors so far (already applied)."""
        return self._core.lr_scale

    @property
    def retrying(self):
        """After a check returned False: the event was transient and ``on_transient="retry"``
        asks for the same step again, with the same batch (call ``begin_step`` and run it).
        Its gradients are dropped, and the buffers and torch's RNG are as the step began."""
        return self._core.retrying

    nonfinite_steps = property(lambda self: self._core.nonfinite_steps)
    transient_steps = property(lambda self: self._core.transient_steps)
    spike_count = property(lambda self: self._core.spike_count)
    scale_overflows = property(lambda self: self._core.scale_overflows)
    loss = property(lambda self: self._core.loss)
    grad_norm = property(lambda self: self._core.grad_norm)
    weight_norm = property(lambda self: self._core.weight_norm)
    device_reads = property(lambda self: self._core.device_reads)

    # The C++ side's calls back (WatchedState) --------------------------------------------

    def _named_parameters(self):
        return [(n, p.detach()) for n, p in self.model.named_parameters()]

    def _named_buffers(self):
        return [(n, b) for n, b in self.model.named_buffers()]

    def _discard_update(self):
        self.optimizer.zero_grad(set_to_none=True)  # an optimizer's step skips a parameter without one
        if self._scaler_open:
            self._back_off()

    def _back_off(self):
        self.scaler.update()
        self._scaler_open = False
        return float(self.scaler.get_scale())

    def _take_snapshot(self):
        self._snapshot = {
            "model": copy.deepcopy(self.model.state_dict()),
            "optimizer": copy.deepcopy(self.optimizer.state_dict()),
            "scheduler": copy.deepcopy(self.scheduler.state_dict()) if self.scheduler is not None else None,
            "scaler": copy.deepcopy(self.scaler.state_dict()) if self.scaler is not None else None,
            "rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None,
            "lr_scale": self._core.lr_scale,
        }

    def _restore_snapshot(self):
        s = self._snapshot
        if s is None:
            raise RuntimeError("Sentinel: no snapshot to roll back to")
        self.model.load_state_dict(s["model"])
        self.optimizer.load_state_dict(copy.deepcopy(s["optimizer"]))
        if self.scheduler is not None:
            self.scheduler.load_state_dict(copy.deepcopy(s["scheduler"]))
        if self.scaler is not None:
            self.scaler.load_state_dict(copy.deepcopy(s["scaler"]))
        torch.set_rng_state(s["rng"])
        if s["cuda_rng"] is not None:
            torch.cuda.set_rng_state_all(s["cuda_rng"])
        self._restored_lr_scale = s["lr_scale"]

    def _audit_first_step(self, replay):
        """``audit=True``: the kernel check on the first step's closure, once."""
        self._audit = False
        if replay is None:
            raise ValueError("audit=True: the first begin_step needs replay=<a closure returning the loss>")
        self.audit_report = audit_step(self.model, replay)
        if not self.audit_report.clean:
            raise AuditFailed(self.audit_report)
        _log.info("audit: %d operators of the first step agree with float64 (%s; %.1f s)",
                  self.audit_report.ops_checked, self.audit_report.kernels, self.audit_report.seconds)
        for form in self.audit_report.forms:  # before the NaN: the paper's vulnerable forms in this loop
            _log.warning("vulnerable form before any NaN: %s", str(form).rstrip())

    def _write_bundle(self, location):
        """The reproducer of the investigated step, beside its report: ``replay.pt``, the
        step's replay closure traced to TorchScript with the batch in it and the weights the
        step started from, which ``depthguard diagnose LOCATION`` replays without Python. A
        model the tracer cannot follow leaves the report alone, with a warning."""
        if self._replay is None:
            return
        replay = self._replay

        class Replay(torch.nn.Module):
            def __init__(self, model):
                super().__init__()
                self.model = model

            def forward(self):
                return replay()

        buffers = [b.clone() for b in self.model.buffers()]  # the traced forward updates them again
        rng = torch.get_rng_state()
        try:
            with _scopes.alone(self.model), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the tracer's notes on constants
                traced = torch.jit.trace(Replay(self.model), (), check_trace=False)
            traced.save(os.path.join(location, "replay.pt"))
        except Exception as error:  # noqa: BLE001 (any tracer failure: the report stays)
            warnings.warn(f"depthguard: no replay.pt in {location}, the tracer failed: {error}")
        finally:
            with torch.no_grad():
                for b, saved in zip(self.model.buffers(), buffers):
                    b.copy_(saved)
            torch.set_rng_state(rng)

    # Helpers -----------------------------------------------------------------------------

    def _run(self, check, *args):
        """One call into the core; after a rollback, the rate the core's lr_scale says."""
        try:
            passed = check(*args)
        except _C.NonFiniteHalt as halt:
            events = self._core.events
            raise NonFiniteHalt(str(halt), event=events[-1] if events else None, report=self.report) from None
        if self._restored_lr_scale is not None:
            self._scale_learning_rate(self._core.lr_scale / self._restored_lr_scale)
            self._restored_lr_scale = None
        return passed

    def _scale_learning_rate(self, factor):
        for group in self.optimizer.param_groups:
            group["lr"] *= factor
        if self.scheduler is not None and hasattr(self.scheduler, "base_lrs"):
            self.scheduler.base_lrs = [lr * factor for lr in self.scheduler.base_lrs]


def _require_model_parameters(model, optimizer):
    """Every parameter the optimizer updates must be the model's: the sentinel watches, skips
    and restores the model's (an optimizer over another model's would train unwatched)."""
    mine = {id(p) for p in model.parameters()}
    foreign = [i for i, p in enumerate(p for g in optimizer.param_groups for p in g["params"]) if id(p) not in mine]
    if foreign:
        total = sum(len(g["params"]) for g in optimizer.param_groups)
        raise ValueError(f"optimizer: {len(foreign)} of its {total} parameters are not parameters of model (the "
                         f"first at position {foreign[0]}): make the optimizer over model.parameters()")


def _unscaled(scaler, optimizer):
    """Whether ``scaler.unscale_(optimizer)`` ran already this step (GradScaler's own record)."""
    state = scaler._per_optimizer_states.get(id(optimizer), {})
    return getattr(state.get("stage"), "name", None) == "UNSCALED"
