#!/usr/bin/env python3
"""timm's SwinV2 as the reference for depthguard's (issue 17), on a machine with timm (the
lent GPU machine has it; this one does not).

    scripts/swin-reference.py OUT_DIR
    DEPTHGUARD_SWIN_REFERENCE=OUT_DIR build/tests/depthguard_tests --gtest_filter='SwinV2Reference.*'

Builds timm's swinv2_tiny_window8_256 without a classifier, gives every weight a random value
(none left at the initialisation that makes each block the identity), converts them with
scripts/convert_weights.py and writes OUT_DIR/weights.pth (depthguard's names),
OUT_DIR/reference.pth (an input batch and timm's final features, NCHW) and
OUT_DIR/reference.json (timm's version and parameter count). The test loads the weights
into depthguard's encoder, runs the same input and compares. scripts/gpu-check.sh runs both.
"""
import json
import os
import sys

import timm
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convert_weights import convert  # noqa: E402  (the one names mapping)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    model = timm.create_model("swinv2_tiny_window8_256", pretrained=False, num_classes=0).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("logit_scale"):
                p.add_(0.1 * torch.randn_like(p))
            elif p.dim() == 1 and "norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.1 * torch.randn_like(p))
            else:
                p.copy_(0.05 * torch.randn_like(p))
        image = torch.randn(2, 3, 256, 256)
        features = model.forward_features(image)
    if features.shape[-1] == model.num_features:  # timm 0.9 on: NHWC
        features = features.permute(0, 3, 1, 2)
    converted, dropped = convert(model.state_dict())
    torch.save(converted, os.path.join(out, "weights.pth"))
    torch.save({"image": image, "features": features.contiguous()}, os.path.join(out, "reference.pth"))
    info = {"model": "swinv2_tiny_window8_256", "timm": timm.__version__, "torch": torch.__version__,
            "parameters": sum(p.numel() for p in model.parameters()),
            "parameter_tensors": len(list(model.parameters())), "dropped": dropped}
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(info, f, indent=2)
    print(f"timm {timm.__version__}: {info['parameters']} parameters in {info['parameter_tensors']} tensors; "
          f"features {tuple(features.shape)}; {out}")


if __name__ == "__main__":
    main()
