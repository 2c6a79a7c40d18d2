#!/usr/bin/python3
"""The resnet18-mim training step of bench/train_bench.cpp, written as a PyTorch user writes it.

The peer that depthguard's step is held to (issue 13): torchvision's ResNet-18 encoder, MIM's
decoder (three 2x transposed convolutions, a 3x3 convolution, 4x bilinear upsampling), the
full-resolution head (3x3 64->64, ReLU, 3x3 64->1), the fused log-depth head, the guideline
SILog loss and AdamW with weight decay on the convolution weights only: the same shapes and
operators as depthguard's model. Prints the mean milliseconds of the timed steps as
JSON (with --guard interleaved, the medians of each version).

On a GPU (--device cuda) with --precision bf16 or fp16 the forward pass runs under autocast
and the loss in float32, fp16 with torch.amp.GradScaler: the peer of BM_TrainStepCuda
(issue 11; scripts/gpu-check.sh runs both in one session). Each timed step ends with a
synchronisation, as the C++ benchmark's does.

With --compile (torch 2.x) the model runs through torch.compile with its default backend
(TorchInductor; on the CPU it compiles C++ kernels with the system's compiler, during the
warm-up steps, which are not timed).

With --guard depthguard the loop runs under depthguard's Python sentinel (docs/python.md: one
device read per step, a replay closure, policy skip); with --guard anomaly inside
torch.autograd.detect_anomaly(check_nan=True), what PyTorch users reach for instead; with
--guard interleaved the three in turn, step by step, in one process (bench/peer/guard_overhead.sh).

With --profile FILE the timed steps run under torch.profiler and its operator table (most self
CPU time first) goes to FILE: the peer of depthguard's BM_TrainStepProfile, which times and
profiles its steps the same way (docs/training.md compares the two).

Benchmark-only: training never needs Python. Run through bench/peer/run.sh.
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

from timing import interleaved_ms, mean_ms


class MimDepth(nn.Module):
    def __init__(self, max_depth=10.0):
        super().__init__()
        resnet = torchvision.models.resnet18()
        self.encoder = nn.Sequential(resnet.conv1, resnet.bn1, resnet.relu, resnet.maxpool,
                                     resnet.layer1, resnet.layer2, resnet.layer3, resnet.layer4)
        layers = []
        for i in range(3):
            layers += [nn.ConvTranspose2d(512 if i == 0 else 32, 32, 2, stride=2, bias=False),
                       nn.BatchNorm2d(32), nn.ReLU(inplace=True)]
        self.deconv_layers = nn.Sequential(*layers)
        self.conv_layers = nn.Sequential(nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(inplace=True))
        self.last_layer_depth = nn.Sequential(nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(inplace=True),
                                              nn.Conv2d(64, 1, 3, padding=1))
        self.log_max_depth = math.log(max_depth)

    def forward(self, image):
        x = self.conv_layers(self.deconv_layers(self.encoder(image)))
        x = F.interpolate(x, scale_factor=4, mode="bilinear", align_corners=False)
        return self.log_max_depth + F.logsigmoid(self.last_layer_depth(x))


def silog(log_pred, gt, lam=0.85, alpha=10.0):
    mask = torch.isfinite(gt) & (gt > 0)
    d = (log_pred - torch.log(torch.where(mask, gt, torch.ones_like(gt))))[mask]
    return alpha * (d.var(unbiased=False) + (1 - lam) * d.mean() ** 2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--height", type=int, default=256)
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--precision", choices=["fp32", "bf16", "fp16"], default="fp32")
    parser.add_argument("--compile", action="store_true", help="torch.compile the model (torch 2.x)")
    parser.add_argument("--guard", choices=["none", "depthguard", "anomaly", "interleaved"], default="none",
                        help="interleaved: the three in turn, step by step, in this process")
    parser.add_argument("--profile", metavar="FILE",
                        help="the timed steps under torch.profiler: its operator table to FILE")
    args = parser.parse_args()
    if args.profile and args.guard == "interleaved":
        parser.error("--profile profiles one loop: give --guard none, depthguard or anomaly")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    fmt = torch.channels_last if args.channels_last else torch.contiguous_format
    model = MimDepth().to(device=device, memory_format=fmt)
    decayed = [p for p in model.parameters() if p.dim() > 1]
    others = [p for p in model.parameters() if p.dim() <= 1]
    optimizer = torch.optim.AdamW([{"params": decayed, "weight_decay": 0.01}, {"params": others, "weight_decay": 0.0}],
                                  lr=1e-3)
    run = torch.compile(model) if args.compile else model
    image = torch.randn(args.batch, 3, args.height, args.width).contiguous(memory_format=fmt).to(device)
    depth = (torch.rand(args.batch, 1, args.height, args.width) * 9 + 0.5).to(device)
    autocast = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(args.precision)
    scaler = torch.amp.GradScaler(device.type) if args.precision == "fp16" else None

    def forward():
        if autocast is None:
            return run(image)
        with torch.autocast(device.type, dtype=autocast):
            return run(image).float()

    sentinel = None
    if args.guard in ("depthguard", "interleaved"):
        import depthguard
        sentinel = depthguard.Sentinel(model, optimizer, scaler=scaler, policy="skip")

    def guarded_step():
        sentinel.begin_step(replay=lambda: silog(forward(), depth))
        optimizer.zero_grad()
        loss = silog(forward(), depth)
        if scaler is None:
            loss.backward()
        else:
            scaler.scale(loss).backward()
        if sentinel.check_step(loss):
            if scaler is None:
                optimizer.step()
            else:
                scaler.step(optimizer)
                scaler.update()
            sentinel.end_step()
        if device.type == "cuda":
            torch.cuda.synchronize()

    def plain_step():
        optimizer.zero_grad()  # PyTorch 1.13's default: gradients zeroed, not dropped
        loss = silog(forward(), depth)
        if scaler is None:
            loss.backward()
            optimizer.step()
        else:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        if device.type == "cuda":
            torch.cuda.synchronize()

    def anomaly_step():
        with torch.autograd.detect_anomaly(check_nan=True):
            plain_step()

    steps = {"none": plain_step, "depthguard": guarded_step, "anomaly": anomaly_step}
    warmup = 3 if device.type == "cuda" or args.compile else 1  # as the C++ benchmark; compiling takes two
    if args.guard == "interleaved":
        ms = interleaved_ms(steps, args.steps, warmup=warmup)
    else:
        ms = mean_ms(steps[args.guard], args.steps, warmup=warmup, profile=args.profile)
    event = {}
    if sentinel is not None:
        # The cost of an event: a batch without a valid depth pixel makes the loss NaN; the
        # sentinel's check then replays the step with every operator watched.
        depth.zero_()
        sentinel.begin_step(replay=lambda: silog(forward(), depth))
        optimizer.zero_grad()
        loss = silog(forward(), depth)
        loss.backward()
        start = time.perf_counter()
        sentinel.check_step(loss)
        event = {"event_check_s": time.perf_counter() - start, "event_cause": sentinel.events[0].cause}
    per_second = {k: args.batch * 1e3 / v for k, v in ms.items()} if isinstance(ms, dict) else \
        args.batch * 1e3 / ms
    print(json.dumps({"ms_per_step": ms, "images_per_s": per_second,
                      "threads": torch.get_num_threads(), "torch": torch.__version__,
                      "channels_last": args.channels_last, "compiled": args.compile, "device": args.device,
                      "precision": args.precision, "guard": args.guard,
                      "batch": args.batch, **event}))


if __name__ == "__main__":
    main()
