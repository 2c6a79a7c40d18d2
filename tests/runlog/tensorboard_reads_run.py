#!/usr/bin/env python3
"""TensorBoard's own reader (EventAccumulator) on a depthguard run's tb/ files, against the
run's metrics.jsonl and samples/ (RunPictures.TensorBoardsOwnReaderLoadsTheRun runs it).

    tests/runlog/tensorboard_reads_run.py RUN_DIR

Checks that every number of every metrics.jsonl line is the scalar TensorBoard shows at that
step (train/<key>, eval/<metric>, float32), that each non-finite event is a guard/nonfinite
point and a text entry naming its step, stage, cause and action, that the last evaluation's
images decode to the pixels of samples/<file>, and that TensorBoard shows nothing else.
Prints what it compared; exits 1 naming the first difference.
"""
import io
import json
import os
import sys

import numpy as np
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

NOT_MIRRORED = {"step", "epoch"}  # the step is TensorBoard's own axis; the epoch is not drawn


def fail(message):
    print(f"tensorboard_reads_run: {message}")
    sys.exit(1)


def expected_points(lines):
    """{tag: [(step, float32 value)]} as the run's metrics.jsonl has them."""
    points = {}

    def add(tag, step, value):
        points.setdefault(tag, []).append((step, np.float32(value)))

    for line in lines:
        step = line["step"]
        for key, value in line.items():
            if key in NOT_MIRRORED:
                continue
            if key == "eval":
                for metric, number in value.items():
                    add(f"eval/{metric}", step, number)
            elif key in ("nonfinite", "loss_scale_overflow"):
                add(f"guard/{key}", step, 1.0 if key == "nonfinite" else value["scale"])
            elif isinstance(value, (int, float)) and "eval" not in line:
                add(f"train/{key}", step, value)
    return points


def check_scalars(acc, points):
    shown = set(acc.Tags()["scalars"])
    if shown != set(points):
        fail(f"scalar tags differ: only in TensorBoard {sorted(shown - set(points))}, "
             f"only in metrics.jsonl {sorted(set(points) - shown)}")
    for tag, expected in points.items():
        got = [(e.step, np.float32(e.value)) for e in acc.Scalars(tag)]
        if got != expected:
            fail(f"{tag}: TensorBoard has {got}, metrics.jsonl {expected}")
    print(f"scalars: {len(points)} tags, {sum(len(p) for p in points.values())} points equal to metrics.jsonl")


def check_events_text(acc, lines):
    events = [line for line in lines if "nonfinite" in line]
    texts = acc.Tensors("nonfinite") if "nonfinite" in acc.Tags()["tensors"] else []
    if len(texts) != len(events):
        fail(f"{len(events)} non-finite events in metrics.jsonl, {len(texts)} texts in TensorBoard")
    for line, text in zip(events, texts):
        body = text.tensor_proto.string_val[0].decode()
        event = line["nonfinite"]
        wanted = [f"step {line['step']}", f"stage: {event['stage']}", f"cause: {event['cause']}",
                  f"action: {event['action']}"]
        if text.step != line["step"] or not all(w in body for w in wanted):
            fail(f"the text at step {text.step} does not say {wanted}: {body!r}")
    print(f"text: {len(texts)} non-finite event(s), each naming its step, stage, cause and action")


def check_images(acc, run):
    with open(os.path.join(run, "samples", "samples.json")) as f:
        gallery = json.load(f)
    for i, sample in enumerate(gallery["samples"]):
        at_step = [e for e in acc.Images(f"samples/{i}") if e.step == gallery["step"]]
        if len(at_step) != 1:
            fail(f"samples/{i}: {len(at_step)} images at step {gallery['step']}")
        shown = np.asarray(Image.open(io.BytesIO(at_step[0].encoded_image_string)).convert("RGB"))
        saved = np.asarray(Image.open(os.path.join(run, "samples", sample["file"])).convert("RGB"))
        if shown.shape != saved.shape or not np.array_equal(shown, saved):
            fail(f"samples/{i} at step {gallery['step']} is not samples/{sample['file']}")
    print(f"images: {len(gallery['samples'])} samples at step {gallery['step']} decode to the PNGs in samples/")


def main():
    run = sys.argv[1]
    with open(os.path.join(run, "metrics.jsonl")) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    acc = EventAccumulator(os.path.join(run, "tb"), size_guidance={"images": 0, "scalars": 0, "tensors": 0})
    acc.Reload()
    check_scalars(acc, expected_points(lines))
    check_events_text(acc, lines)
    check_images(acc, run)


if __name__ == "__main__":
    main()
