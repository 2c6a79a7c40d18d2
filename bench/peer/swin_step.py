#!/usr/bin/env python3
"""MIM's model in plain PyTorch: timm's SwinV2 with MIM's decoder and head, one training step.

The peer of BM_TrainStepCudaSwin (issue 17): timm's swinv2_base_window8_256 (no classifier)
feeding MIM's decoder (three 2x transposed convolutions of 32 channels with BN and ReLU, a
3x3 convolution to the embedding width with BN and ReLU, two 2x bilinear upsamplings) and
head (3x3, ReLU, 3x3 to one logit, max_depth * sigmoid), the SILog loss and AdamW, the
forward under bf16 autocast. Prints the mean time of the timed steps, images/s and peak GPU
memory as JSON. Needs timm (the 2.x build's virtual environment and the GPU machine have it);
scripts/gpu-check.sh runs it.

On the CPU it is the peer of BM_TrainStepSwin (make bench-peer: MODEL=swinv2-mim bench/peer/run.sh):
    swin_step.py --device cpu --threads 2 --backbone swinv2_tiny_window8_256 --batch 8 \
        --height 256 --width 320 --precision fp32 [--compile]
(timm shrinks the last stage's window to its 8-token-high map where depthguard pads it: the
same work within a few per cent.) With --profile FILE the timed steps run under
torch.profiler and its operator table goes to FILE: the peer of BM_TrainStepSwinProfile.
"""
import argparse
import json

import timm
import torch
import torch.nn as nn
import torch.nn.functional as F

from timing import mean_ms


class MimDepth(nn.Module):
    def __init__(self, backbone, img_size, max_depth=10.0):
        super().__init__()
        self.encoder = timm.create_model(backbone, pretrained=False, num_classes=0, img_size=img_size)
        channels, embed = self.encoder.num_features, self.encoder.embed_dim
        layers = []
        for i in range(3):
            layers += [nn.ConvTranspose2d(channels if i == 0 else 32, 32, 2, stride=2, bias=False),
                       nn.BatchNorm2d(32), nn.ReLU(inplace=True)]
        self.deconv_layers = nn.Sequential(*layers)
        self.conv_layers = nn.Sequential(nn.Conv2d(32, embed, 3, padding=1), nn.BatchNorm2d(embed), nn.ReLU(inplace=True))
        self.last_layer_depth = nn.Sequential(nn.Conv2d(embed, embed, 3, padding=1), nn.ReLU(inplace=False),
                                              nn.Conv2d(embed, 1, 3, padding=1))
        self.max_depth = max_depth

    def forward(self, image):
        x = self.encoder.forward_features(image)
        if x.shape[-1] == self.encoder.num_features:  # timm 0.9 on: NHWC
            x = x.permute(0, 3, 1, 2)
        x = self.conv_layers(self.deconv_layers(x))
        x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        return torch.sigmoid(self.last_layer_depth(x)) * self.max_depth


def silog(pred, gt, lam=0.85):
    mask = gt > 0
    d = torch.log(pred[mask]) - torch.log(gt[mask])
    return torch.sqrt((d ** 2).mean() - lam * d.mean() ** 2) * 10


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="swinv2_base_window8_256")
    parser.add_argument("--batch", type=int, default=24)
    parser.add_argument("--size", type=int, default=256, help="height and width, unless given apart")
    parser.add_argument("--height", type=int)
    parser.add_argument("--width", type=int)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--threads", type=int, help="intra-op threads (the CPU)")
    parser.add_argument("--precision", choices=["fp32", "bf16"], default="bf16")
    parser.add_argument("--compile", action="store_true", help="torch.compile the model (torch 2.x)")
    parser.add_argument("--profile", metavar="FILE",
                        help="the timed steps under torch.profiler: its operator table to FILE")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    size = (args.height or args.size, args.width or args.size)
    model = MimDepth(args.backbone, size).to(device)
    run = torch.compile(model) if args.compile else model
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.05)
    image = torch.randn(args.batch, 3, *size, device=device)
    depth = torch.rand(args.batch, 1, *size, device=device) * 9 + 0.5
    cuda = device.type == "cuda"

    def step():
        optimizer.zero_grad()
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.precision == "bf16"):
            pred = run(image)
        silog(pred.float(), depth).backward()
        optimizer.step()
        if cuda:
            torch.cuda.synchronize()

    step()  # the first step allocates (and compiles); the peak below is the steady state's
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    ms = mean_ms(step, args.steps, warmup=2 if cuda or args.compile else 0,
                 profile=args.profile)
    print(json.dumps({"model": f"{args.backbone} + MIM decoder (PyTorch)", "ms_per_step": ms,
                      "images_per_s": args.batch * 1e3 / ms,
                      "peak_gpu_memory_mib": torch.cuda.max_memory_allocated() / 2 ** 20 if cuda else None,
                      "device": args.device, "precision": args.precision, "compiled": args.compile,
                      "parameters": sum(p.numel() for p in model.parameters()), "torch": torch.__version__,
                      "timm": timm.__version__}))


if __name__ == "__main__":
    main()
