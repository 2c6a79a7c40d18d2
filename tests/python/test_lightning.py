"""depthguard.lightning.SentinelCallback in a real Lightning fit: skip and rollback, and under
strategy="ddp" the same action on both ranks at the same step."""
import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("lightning", reason="Lightning is in the LibTorch 2.x environment (requirements-torch2.txt)")

RUN = os.path.join(os.path.dirname(__file__), "lightning_run.py")


def fit(tmp_path, devices, policy, *naming):
    env = dict(os.environ, PL_DISABLE_FORK="1")
    done = subprocess.run([sys.executable, RUN, str(tmp_path), str(devices), policy, *naming],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads((tmp_path / f"{r}.json").read_text()) for r in range(devices)]


@pytest.mark.parametrize("policy", ["skip", "rollback"])
def test_an_empty_depth_batch_is_handled_and_training_goes_on(tmp_path, policy):
    (run,) = fit(tmp_path, 1, policy)
    assert [(e["step"], e["stage"], e["action"], e["cause"]) for e in run["events"]] == \
        [(2, "loss", policy, "empty_mask")]
    assert run["events"][0]["samples"] == ["rank0-epoch0-batch2"]
    assert run["events"][0]["iteration"] == 2  # trainer.global_step at the bad batch
    assert run["finite"]
    assert run["step"] == 5  # skip: step 2 did not count; rollback: back to the snapshot of step 2
    assert run["global_step"] == 6  # Lightning counts every batch's optimizer step


@pytest.mark.parametrize("naming, samples", [("key", ["room-0-2"]), ("hook", ["hook-2-room-0-2"])])
def test_the_events_samples_are_named_by_the_batch_or_the_module(tmp_path, naming, samples):
    (run,) = fit(tmp_path, 1, "skip", naming)
    assert [e["samples"] for e in run["events"]] == [samples]


def test_under_ddp_both_ranks_skip_the_same_step(tmp_path):
    r0, r1 = fit(tmp_path, 2, "skip")
    for r in (r0, r1):
        assert [(e["step"], e["stage"], e["ranks"]) for e in r["events"]] == [(2, "loss", [1])]
    for r in (r0, r1):  # rank 1 saw it: every rank's event has its samples and cause
        assert r["events"][0]["cause"] == "empty_mask"
        assert r["events"][0]["samples"] == ["rank1-epoch0-batch2"]
    assert r0["weights_sum"] == r1["weights_sum"] and r0["finite"]
