#!/usr/bin/python3
"""Converts a PyTorch checkpoint of SwinV2 weights into a state dict with depthguard's names.

    scripts/convert_weights.py IN OUT.pth
    depthguard train --config configs/mim-nyu.yaml --init OUT.pth ...

IN is what torch.save wrote (.pth, .pt, .ckpt) or a .safetensors file, from:
  - timm's swinv2_* models (either layout: patch merging at the start of stages 1-3, timm
    0.9 on, or at the end of stages 0-2, as before and as SwinV2's reference code);
  - SimMIM's pretraining (an "encoder." prefix, the weights under "model");
  - MIM's depth models (encoder, decoder and head; the final norm is MIM's "norm3").
Weights under "model" or "state_dict" and DDP's "module." prefix are unwrapped.

The names mapping lives here and only here (depthguard_name). Buffers that depthguard
recomputes (relative_coords_table, relative_position_index, attn_mask), timm's classifier
head and SimMIM's mask token are dropped and listed; an entry this script cannot place is an
error. depthguard then refuses any name or shape its model lacks (train --init), so a mapping
mistake stops the run instead of training from half-loaded weights.

Needs Python's torch (Debian: python3-torch); training never does.
"""
import argparse
import re
import sys

import torch

DROPPED = re.compile(r"(relative_coords_table|relative_position_index|attn_mask|k_bias)$|^head\.|^mask_token$")
DECODER = re.compile(r"^(decoder|last_layer_depth)\.")


def unwrap(checkpoint):
    """The state dict inside a checkpoint, without DDP's module. prefix."""
    for key in ("model", "state_dict"):
        if isinstance(checkpoint, dict) and key in checkpoint and isinstance(checkpoint[key], dict):
            checkpoint = checkpoint[key]
    return {(k[len("module."):] if k.startswith("module.") else k): v for k, v in checkpoint.items()}


def merging_at_stage_start(names):
    """timm 0.9 on puts patch merging at the start of stages 1-3; depthguard, like SwinV2's
    reference code and MIM, at the end of stages 0-2."""
    return not any(re.search(r"(^|\.)layers\.0\.downsample\.", n) for n in names)


def depthguard_name(name, shift_merging):
    """depthguard's name of a weight, None when it is dropped; raises KeyError when unknown."""
    if DECODER.match(name):
        return name
    backbone = name[len("encoder."):] if name.startswith("encoder.") else name
    if DROPPED.search(backbone):
        return None
    if backbone.startswith("norm3."):  # MIM's name of the final norm
        backbone = "norm." + backbone[len("norm3."):]
    match = re.match(r"layers\.(\d+)\.downsample\.(.*)", backbone)
    if match and shift_merging:
        backbone = f"layers.{int(match.group(1)) - 1}.downsample.{match.group(2)}"
    if re.match(r"(patch_embed\.(proj|norm)|layers\.\d+\.(blocks\.\d+|downsample)|norm)\.", backbone):
        return "encoder." + backbone
    raise KeyError(name)


def convert(state):
    """(converted state dict, names dropped)."""
    shift = merging_at_stage_start(state)
    converted, dropped = {}, []
    for name, tensor in state.items():
        if not torch.is_tensor(tensor):
            continue
        try:
            target = depthguard_name(name, shift)
        except KeyError:
            sys.exit(f"convert_weights: {name}: no depthguard weight of that name (a newer or other layout?)")
        if target is None:
            dropped.append(name)
        else:
            converted[target] = tensor.detach().to(torch.float32).contiguous()
    return converted, dropped


def load(path):
    if path.endswith(".safetensors"):
        from safetensors.torch import load_file
        return load_file(path)
    # LibTorch's pickle_save (depthguard's own files) tags containers with
    # torch.jit._pickle.restore_type_tag, which torch.load's weights-only unpickler (the
    # default from torch 2.6) refuses unless allowed; torch 1.13 has no such unpickler.
    safe_globals = getattr(torch.serialization, "safe_globals", None)
    if safe_globals is None:
        return torch.load(path, map_location="cpu")
    from torch.jit import _pickle
    with safe_globals([_pickle.restore_type_tag]):
        return torch.load(path, map_location="cpu")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("out", help="the converted state dict; name it .pth for --init")
    args = parser.parse_args()
    converted, dropped = convert(unwrap(load(args.source)))
    torch.save(converted, args.out)
    print(f"{args.out}: {len(converted)} tensors, {sum(t.numel() for t in converted.values())} values; "
          f"dropped {len(dropped)} ({', '.join(sorted({d.split('.')[-1] for d in dropped}))})")


if __name__ == "__main__":
    main()
