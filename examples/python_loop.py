"""A plain PyTorch depth-training loop with depthguard's sentinel (docs/python.md).

    python examples/python_loop.py [--steps 40] [--policy auto] [--log-dir runs/py]
        [--bad-step 25] [--flaky-step 15] [--threads 2]

A GLPDepth-style network (sigmoid(x) * max_depth head) learns depth from synthetic images
with BTS's SILog loss. At --bad-step one batch arrives with an all-zero ground-truth map: the
sentinel names it (cause empty_mask), drops the update (policy auto: the batch broke the step),
and training goes on.
At --flaky-step a machine's fault corrupts one gradient value on the step's first run only:
the replay is finite (cause transient), the loop runs the step again, and training goes on
as if nothing had happened.
"""
import argparse

import torch
import torch.nn as nn

import depthguard


class Net(nn.Module):
    def __init__(self, channels=16, max_depth=10.0):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(3, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU(),
                                     nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU())
        self.head = nn.Conv2d(channels, 1, 3, padding=1)
        self.max_depth = max_depth

    def forward(self, x):
        return torch.sigmoid(self.head(self.encoder(x))) * self.max_depth


def silog(pred, gt, variance_focus=0.85):
    mask = gt > 0
    d = torch.log(pred[mask]) - torch.log(gt[mask])
    return torch.sqrt((d ** 2).mean() - variance_focus * d.mean() ** 2) * 10.0


def synthetic_batch(step, n=4, size=32):
    """Depth grows with the image row; the image's brightness follows depth."""
    g = torch.Generator().manual_seed(step)
    rows = torch.linspace(1, 8, size).view(1, 1, size, 1).expand(n, 1, size, size)
    depth = rows * (0.8 + 0.4 * torch.rand(n, 1, 1, 1, generator=g))
    image = (depth / 8).expand(n, 3, size, size) + 0.05 * torch.randn(n, 3, size, size, generator=g)
    return image, depth.clone(), [f"synthetic-{step}-{i}" for i in range(n)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--policy", default="auto", choices=["auto", "skip", "rollback", "halt"])
    parser.add_argument("--log-dir", default=None)
    parser.add_argument("--bad-step", type=int, default=25)
    parser.add_argument("--flaky-step", type=int, default=-1)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    torch.manual_seed(0)

    model = Net()
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.steps)
    sentinel = depthguard.Sentinel(model, optimizer, scheduler=scheduler, policy=args.policy,
                                   snapshot_interval=10, log_dir=args.log_dir)
    flaky_hit = False
    # The loop counts its own batches: a skipped or rolled-back step does not fetch its batch
    # again (Lightning's loop, and a DataLoader's, go on the same way).
    for batch_index in range(args.steps):
        image, depth, ids = synthetic_batch(batch_index)
        if batch_index == args.bad_step:
            depth.zero_()  # a batch whose depth maps hold no valid pixel
        while True:  # a transient event asks for the same batch again (sentinel.retrying)
            sentinel.begin_step(samples=ids, replay=lambda: silog(model(image), depth), iteration=batch_index)
            optimizer.zero_grad()
            loss = silog(model(image), depth)
            loss.backward()
            if batch_index == args.flaky_step and not flaky_hit:  # one bit flip's worth: a NaN in one gradient
                next(model.parameters()).grad.view(-1)[0] = float("nan")
                flaky_hit = True
            passed = sentinel.check_step(loss, max_norm=1.0)
            if passed or not sentinel.retrying:
                break
        if not passed:
            continue  # handled: the event is in sentinel.events
        optimizer.step()
        scheduler.step()
        sentinel.end_step()
        if batch_index % 10 == 0:
            print(f"batch {batch_index:3d}  step {sentinel.step:3d}  loss {loss.item():.4f}  "
                  f"lr {scheduler.get_last_lr()[0]:.2e}")
    sentinel.settle()
    print(f"done: {args.steps} batches, {sentinel.step} updates kept, {len(sentinel.events)} event(s)")
    for event in sentinel.events:
        print(" ", event, event.samples[:2], "...")
    if sentinel.report is not None:
        print(sentinel.report)


if __name__ == "__main__":
    main()
