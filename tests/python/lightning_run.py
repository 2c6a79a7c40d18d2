"""A Lightning fit whose third batch (on rank 1 of a DDP run, or the only rank) has an all-zero
ground-truth map, under depthguard's SentinelCallback. Writes RANK.json to OUT_DIR.

    python lightning_run.py OUT_DIR DEVICES POLICY [SAMPLE_IDS]
SAMPLE_IDS: "key" (dict batches with an "ids" key, SentinelCallback(sample_ids="ids")) or
"hook" (the module's depthguard_sample_ids); without it, the callback's own names.
(Lightning's "ddp" strategy starts the other ranks by running this script again.)
"""
import json
import os
import sys

import lightning.pytorch as pl
import torch
from torch.utils.data import DataLoader, Dataset

sys.path.insert(0, os.path.dirname(__file__))
from conftest import TinyDepthNet, batch, silog_bts  # noqa: E402

import depthguard.lightning  # noqa: E402

BAD_BATCH = 2


class Rooms(Dataset):
    def __init__(self, rank, bad_rank):
        self.rank, self.bad_rank = rank, bad_rank

    def __len__(self):
        return 6

    def __getitem__(self, i):
        image, depth = batch(100 * self.rank + i, n=1)
        if i == BAD_BATCH and self.rank == self.bad_rank:
            depth.zero_()
        return {"image": image[0], "depth": depth[0], "ids": f"room-{self.rank}-{i}"}


class DepthModule(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.net = TinyDepthNet()

    def training_step(self, batch, batch_idx):
        return silog_bts(self.net(batch["image"]), batch["depth"], batch["depth"] > 0)

    def configure_optimizers(self):
        optimizer = torch.optim.AdamW(self.parameters(), lr=1e-3)
        return {"optimizer": optimizer, "lr_scheduler": torch.optim.lr_scheduler.StepLR(optimizer, 2)}


class DepthModuleNamingSamples(DepthModule):
    def depthguard_sample_ids(self, batch, batch_idx):
        return [f"hook-{batch_idx}-{name}" for name in batch["ids"]]


def main():
    out_dir, devices, policy = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    naming = sys.argv[4] if len(sys.argv) > 4 else None
    torch.manual_seed(0)
    rank = int(os.environ.get("LOCAL_RANK", 0))
    callback = depthguard.lightning.SentinelCallback(policy=policy, snapshot_interval=2,
                                                     sample_ids="ids" if naming == "key" else None)
    trainer = pl.Trainer(accelerator="cpu", devices=devices, strategy="ddp" if devices > 1 else "auto",
                         max_epochs=1, callbacks=[callback], logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False,
                         use_distributed_sampler=False)  # each rank reads its own Rooms
    module = DepthModuleNamingSamples() if naming == "hook" else DepthModule()
    # batch_size 1, in order: batch i of rank r is sample i of rank r's data
    loader = DataLoader(Rooms(rank, bad_rank=devices - 1), batch_size=1, shuffle=False)
    trainer.fit(module, train_dataloaders=loader)
    sentinel = callback.sentinel
    weights = torch.cat([p.detach().flatten() for p in module.parameters()])
    with open(os.path.join(out_dir, f"{trainer.global_rank}.json"), "w") as f:
        json.dump({"events": [{"step": e.step, "stage": e.stage, "action": e.action, "ranks": list(e.ranks),
                               "samples": list(e.samples), "cause": e.cause, "iteration": e.iteration}
                              for e in sentinel.events],
                   "step": sentinel.step, "global_step": trainer.global_step, "finite": bool(torch.isfinite(weights).all()),
                   "weights_sum": float(weights.double().sum())}, f)


if __name__ == "__main__":
    main()
