#!/usr/bin/env python3
"""timm's SwinV2 as the reference for depthguard's (issue 17).

    scripts/swin-reference.py OUT_DIR [--size H W] [--window N]

Builds timm's swinv2_tiny_window8_256 without a classifier, for an H x W input (default
256 x 256) and a window of N in every stage (default 8), gives every weight a random value
(none left at the initialisation that makes each block the identity), converts them with
scripts/convert_weights.py and writes OUT_DIR/weights.pth (depthguard's names),
OUT_DIR/reference.pth (an input batch and timm's features after each stage, NCHW, the last
one normalised as forward_features does) and OUT_DIR/reference.json (timm's version, the
size, the window and the parameter count). The suite's SwinV2Reference tests run it with the
Python of the LibTorch 2.x build (make test), load the weights into depthguard's
encoder, run the same input and compare stage by stage.
"""
import argparse
import json
import os
import sys

import timm
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convert_weights import convert  # noqa: E402  (the one names mapping)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--size", type=int, nargs=2, default=[256, 256], metavar=("H", "W"))
    parser.add_argument("--window", type=int, default=8)
    args = parser.parse_args()
    out = args.out
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    model = timm.create_model("swinv2_tiny_window8_256", pretrained=False, num_classes=0,
                              img_size=tuple(args.size), window_size=args.window).eval()
    stages = []  # each stage's output, NHWC (timm 0.9 on: merging starts the next stage)
    for layer in model.layers:
        layer.register_forward_hook(lambda module, inputs, output: stages.append(output))
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("logit_scale"):
                p.add_(0.1 * torch.randn_like(p))
            elif p.dim() == 1 and "norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.1 * torch.randn_like(p))
            else:
                p.copy_(0.05 * torch.randn_like(p))
        image = torch.randn(1, 3, *args.size)
        features = model.forward_features(image)
    nchw = [stage.permute(0, 3, 1, 2).contiguous() for stage in stages[:-1]] + [features.permute(0, 3, 1, 2).contiguous()]
    converted, dropped = convert(model.state_dict())
    torch.save(converted, os.path.join(out, "weights.pth"))
    torch.save({"image": image, **{f"stage{i}": f for i, f in enumerate(nchw)}}, os.path.join(out, "reference.pth"))
    info = {"model": "swinv2_tiny_window8_256", "timm": timm.__version__, "torch": torch.__version__,
            "size": args.size, "window": args.window,
            "parameters": sum(p.numel() for p in model.parameters()),
            "parameter_tensors": len(list(model.parameters())), "dropped": dropped}
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(info, f, indent=2)
    print(f"timm {timm.__version__}: {info['parameters']} parameters in {info['parameter_tensors']} tensors; "
          f"features {tuple(nchw[-1].shape)}; {out}")


if __name__ == "__main__":
    main()
