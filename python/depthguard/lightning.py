"""``SentinelCallback``: depthguard's sentinel in a PyTorch Lightning ``Trainer``.

    trainer = lightning.pytorch.Trainer(callbacks=[depthguard.lightning.SentinelCallback()],
                                        strategy="ddp", ...)

At each optimizer step, after backward, the callback makes the sentinel's one device read
(and, under DDP, its one all-gather): a non-finite step's update is dropped (its gradients
set to None, so the optimizer's step changes nothing), rolled back to the last snapshot, or
halted with ``depthguard.NonFiniteHalt``, on every rank at the same step. Under 16-bit
precision with Lightning's GradScaler, an overflow of the scaled gradients stays routine
(Lightning's scaler skips that step and backs off); a non-finite loss is an event.
Automatic optimization with one optimizer (docs/python.md, "PyTorch Lightning").
"""
try:
    from lightning.pytorch.callbacks import Callback
except ImportError:  # the package's older name
    from pytorch_lightning.callbacks import Callback

from .sentinel import Sentinel


def _loss_of(output):
    """A training_step's loss: the tensor itself or its dict's "loss"."""
    return output["loss"] if isinstance(output, dict) else output


class SentinelCallback(Callback):
    """Args: ``policy`` and the other keyword options of :class:`depthguard.Sentinel`
    (``scaler``, ``scheduler`` and ``process_group`` come from the Trainer; ``on_transient``
    is ``"skip"`` or ``"halt"``, default ``"skip"``: Lightning runs each batch once), and
    ``sample_ids``: how an event names a batch's samples: a key of a dict batch
    (``sample_ids="ids"``), or a function ``(batch, batch_idx) -> ids``. Without it, a
    LightningModule's own ``depthguard_sample_ids(batch, batch_idx)``; without that,
    ``rank{R}-epoch{E}-batch{B}``. An event's ``iteration`` is ``trainer.global_step`` at its
    batch."""

    def __init__(self, policy="auto", sample_ids=None, **options):
        super().__init__()
        for taken in ("scaler", "scheduler", "process_group", "start_step"):
            if taken in options:
                raise TypeError(f"SentinelCallback takes {taken} from the Trainer, not as an option")
        # Lightning runs a batch's training_step once: a transient event is skipped or halts.
        options.setdefault("on_transient", "skip")
        if options["on_transient"] == "retry":
            raise ValueError("SentinelCallback: on_transient='retry' needs a loop that runs the step again; "
                             "Lightning's does not (use 'skip' or 'halt')")
        if sample_ids is not None and not isinstance(sample_ids, str) and not callable(sample_ids):
            raise TypeError(f"sample_ids must be a batch key (str) or a function (batch, batch_idx) -> ids, got "
                            f"{type(sample_ids).__name__}")
        self.policy = policy
        self.sample_ids = sample_ids
        self.options = options
        self.sentinel = None
        self._loss = None
        self._passed = False

    def on_fit_start(self, trainer, pl_module):
        if not pl_module.automatic_optimization:
            raise ValueError("SentinelCallback: automatic optimization only (call depthguard.Sentinel yourself "
                             "in a manual-optimization training_step)")
        if len(trainer.optimizers) != 1:
            raise ValueError(f"SentinelCallback: one optimizer, the Trainer has {len(trainer.optimizers)}")
        configs = trainer.lr_scheduler_configs
        self.sentinel = Sentinel(pl_module, trainer.optimizers[0], policy=self.policy,
                                 scheduler=configs[0].scheduler if configs else None,
                                 start_step=trainer.global_step, **self.options)

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        self._loss, self._passed = None, False
        self.sentinel.begin_step(samples=self._samples(trainer, pl_module, batch, batch_idx),
                                 replay=lambda: _loss_of(pl_module.training_step(batch, batch_idx)),
                                 iteration=trainer.global_step)

    def _samples(self, trainer, pl_module, batch, batch_idx):
        if isinstance(self.sample_ids, str):
            if not isinstance(batch, dict) or self.sample_ids not in batch:
                raise KeyError(f"SentinelCallback: sample_ids={self.sample_ids!r}, and batch {batch_idx} has no such key")
            return list(batch[self.sample_ids])
        if callable(self.sample_ids):
            return list(self.sample_ids(batch, batch_idx))
        if hasattr(pl_module, "depthguard_sample_ids"):
            return list(pl_module.depthguard_sample_ids(batch, batch_idx))
        return [f"rank{trainer.global_rank}-epoch{trainer.current_epoch}-batch{batch_idx}"]

    def on_before_backward(self, trainer, pl_module, loss):
        self._loss = loss.detach()

    def on_before_optimizer_step(self, trainer, pl_module, optimizer):
        scaler = getattr(trainer.precision_plugin, "scaler", None)
        self._passed = self.sentinel._check_unscaled_step(self._loss, scaler)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if self._passed:
            self.sentinel.end_step()

    def on_train_end(self, trainer, pl_module):
        self.sentinel.settle()
