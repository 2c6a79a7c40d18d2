"""Data parallel under torch.distributed (DDP over Gloo): every rank takes the same action at
the same step, and the event names the rank that saw the value."""
import json
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel

import depthguard
from conftest import TinyDepthNet, batch, silog_bts

WORLD = 2
EMPTY_AT = 3  # the step at which rank 1's batch has an all-zero ground-truth map


def run_rank(rank, out_dir):
    # a file store: no TCP port to collide with the suite's other distributed tests
    dist.init_process_group("gloo", init_method=f"file://{out_dir}/store", rank=rank, world_size=WORLD)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = DistributedDataParallel(TinyDepthNet())
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    sentinel = depthguard.Sentinel(model, optimizer, policy="skip")
    taken = []
    for step in range(6):
        image, depth = batch(1000 * rank + step)
        if rank == 1 and step == EMPTY_AT:
            depth.zero_()  # no valid pixel in the whole batch: its SILog is a mean of nothing
        ids = [f"r{rank}-s{step}-{i}" for i in range(image.shape[0])]
        sentinel.begin_step(samples=ids, replay=lambda: silog_bts(model(image), depth, depth > 0))
        optimizer.zero_grad()
        loss = silog_bts(model(image), depth, depth > 0)
        loss.backward()
        if not sentinel.check_step(loss):
            taken.append((step, "skip"))
            continue
        optimizer.step()
        sentinel.end_step()
        taken.append((step, "update"))
    sentinel.settle()
    weights = torch.cat([p.detach().flatten() for p in model.parameters()])
    result = {
        "taken": taken,
        "events": [{"step": e.step, "stage": e.stage, "ranks": list(e.ranks), "samples": list(e.samples),
                    "cause": e.cause} for e in sentinel.events],
        "weights_sum": float(weights.double().sum()),
        "investigated": sentinel.report is not None,
    }
    with open(os.path.join(out_dir, f"rank{rank}.json"), "w") as f:
        json.dump(result, f)
    dist.destroy_process_group()


def test_both_ranks_skip_the_same_step_and_the_event_names_the_rank(tmp_path):
    mp.spawn(run_rank, args=(str(tmp_path),), nprocs=WORLD, join=True)
    r0, r1 = (json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(WORLD))
    assert r0["taken"] == r1["taken"]
    assert [t for t in r0["taken"] if t[1] == "skip"] == [[EMPTY_AT, "skip"]]
    for r in (r0, r1):
        assert [(e["step"], e["stage"], e["ranks"]) for e in r["events"]] == [(EMPTY_AT, "loss", [1])]
    for r in (r0, r1):  # every rank's event carries the seeing rank's samples and cause
        assert r["events"][0]["cause"] == "empty_mask"
        assert r["events"][0]["samples"] == [f"r1-s{EMPTY_AT}-0", f"r1-s{EMPTY_AT}-1"]
    assert (r0["investigated"], r1["investigated"]) == (False, True)  # only the rank that saw it replays
    assert r0["weights_sum"] == r1["weights_sum"]  # the ranks stayed in step
