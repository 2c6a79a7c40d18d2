"""GLPDepth's head and loss next to the same code moved to depthguard.nn, audited and then
trained side by side under the study's sparse-crops stress (docs/python.md, "Before the NaN").

    build/depthguard synth --out runs/rooms --count 240 --height 64 --width 96 --test-fraction 0.2
    python examples/before_the_nan.py --data runs/rooms [--seeds 5] [--steps 150]

Each run: a small convolutional network, AdamW at 1e-3, batches of 4 random 32x32 crops whose
ground truth keeps 0.2% of the pixels (the study's `sparse-crops`: a few valid pixels per
image, sometimes none), SILog per image, under depthguard's sentinel with policy "halt" (the
first non-finite step ends the run and names its cause), and the GLPDepth form again under
the default policy, auto, which skips the batches it breaks (at most 50 in a row). A run that
finishes is evaluated on the held-out scenes' dense ground truth (abs_rel). Prints the audit of each form and one
Markdown table.
"""
import argparse
import os
import statistics

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

import depthguard
import depthguard.nn as dnn

MAX_DEPTH = 10.0


class Net(nn.Module):
    """A small encoder-decoder; `fused` picks the head's form."""

    def __init__(self, fused):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1),
                                     nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1), nn.ReLU())
        self.last_layer_depth = nn.Conv2d(16, 1, 3, padding=1)
        self.fused = fused

    def forward(self, x):
        out = self.last_layer_depth(self.encoder(x))
        if self.fused:
            return dnn.log_depth_from_logits(out, MAX_DEPTH)  # log-depth
        return torch.sigmoid(out) * MAX_DEPTH  # GLPDepth: depth


class SiLogLoss(nn.Module):
    """GLPDepth's SiLogLoss, as its repository writes it."""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, pred, target):
        valid_mask = (target > 0).detach()
        diff_log = torch.log(target[valid_mask]) - torch.log(pred[valid_mask])
        return torch.sqrt(torch.pow(diff_log, 2).mean() - self.lambd * torch.pow(diff_log.mean(), 2))


# name: (fused head, criterion, the sentinel's policy)
VARIANTS = {
    "as GLPDepth writes it": (False, SiLogLoss(lambd=0.5), "halt"),
    "as GLPDepth writes it, policy auto": (False, SiLogLoss(lambd=0.5), "auto"),
    "depthguard.nn": (True, dnn.SILogLoss(lambd=0.5), "halt"),
}


def per_image(criterion, pred, target):
    """SILog per image, averaged (the study's loss.scope: image)."""
    return torch.stack([criterion(pred[i:i + 1], target[i:i + 1]) for i in range(pred.shape[0])]).mean()


def load(root, split):
    names = [line.split()[0].lstrip("/") for line in open(os.path.join(root, f"{split}.txt")) if line.strip()]
    rgb = np.stack([np.asarray(Image.open(os.path.join(root, n)), dtype=np.float32) / 255 for n in names])
    depth_names = [n.replace("rgb/", "depth/").rsplit(".", 1)[0] + ".png" for n in names]
    depth = np.stack([np.asarray(Image.open(os.path.join(root, n)), dtype=np.float32) / 1000 for n in depth_names])
    return torch.from_numpy(rgb).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(depth)[:, None]


def sparse_crops(images, depths, generator, batch=4, crop=32, keep=0.002):
    index = torch.randint(0, images.shape[0], (batch,), generator=generator)
    top = torch.randint(0, images.shape[2] - crop + 1, (1,), generator=generator).item()
    left = torch.randint(0, images.shape[3] - crop + 1, (1,), generator=generator).item()
    image = images[index, :, top:top + crop, left:left + crop]
    depth = depths[index, :, top:top + crop, left:left + crop].clone()
    depth[torch.rand(depth.shape, generator=generator) >= keep] = 0  # LiDAR-like: 0.2% of the pixels
    return image, depth


def abs_rel(model, images, depths):
    with torch.no_grad():
        out = model(images)
        pred = out.exp() if model.fused else out
        valid = depths > 0
        return ((pred[valid] - depths[valid]).abs() / depths[valid]).mean().item()


def run(name, seed, steps, train, test):
    fused, criterion, policy = VARIANTS[name]
    torch.manual_seed(seed)
    model = Net(fused)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    sentinel = depthguard.Sentinel(model, optimizer, policy=policy, max_skips=50)
    generator = torch.Generator().manual_seed(seed)
    for step in range(steps):
        image, depth = sparse_crops(*train, generator)
        sentinel.begin_step(replay=lambda: per_image(criterion, model(image), depth), iteration=step)
        optimizer.zero_grad()
        loss = per_image(criterion, model(image), depth)
        try:
            if not sentinel.check_loss(loss):
                continue
            loss.backward()
            if not sentinel.check_gradients(max_norm=1.0):
                continue
        except depthguard.NonFiniteHalt as halt:
            return {"nan_step": step, "cause": halt.event.cause, "events": len(sentinel.events)}
        optimizer.step()
        sentinel.end_step()
    first = sentinel.events[0] if sentinel.events else None
    return {"nan_step": first.iteration if first else None, "cause": first.cause if first else None,
            "events": len(sentinel.events), "abs_rel": abs_rel(model, *test)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="a depthguard synth directory (train.txt, test.txt)")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    train, test = load(args.data, "train"), load(args.data, "test")
    image, depth = sparse_crops(*train, torch.Generator().manual_seed(0))
    for name, (fused, criterion, _) in VARIANTS.items():
        if name.endswith("policy auto"):
            continue
        model = Net(fused)
        print(f"## audit: {name}\n{depthguard.audit(model, lambda: per_image(criterion, model(image), depth))}")
    rows = []
    for name in VARIANTS:
        results = [run(name, seed, args.steps, train, test) for seed in range(args.seeds)]
        nan = [r for r in results if r["nan_step"] is not None]
        done = [r["abs_rel"] for r in results if "abs_rel" in r]
        events = sum(r["events"] for r in results)
        causes = sorted({str(r["cause"]) for r in nan})
        accuracy = (f"{statistics.mean(done):.3f} ± {statistics.pstdev(done):.3f} ({len(done)})" if done else "-")
        steps = ", ".join(str(r["nan_step"]) for r in nan) or "-"
        rows.append(f"| {name} | {len(results)} | {len(nan)} | {steps} | {', '.join(causes) or '-'} | {events} | "
                    f"{accuracy} |")
    print("\n| variant | runs | NaN runs | first NaN step | causes | non-finite steps | abs_rel (runs that finished) |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
