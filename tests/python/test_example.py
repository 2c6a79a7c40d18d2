"""examples/python_loop.py, the script docs/python.md shows, runs and names its bad batch."""
import os
import subprocess
import sys

import pytest

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "python_loop.py")


# auto (an empty mask is the batch's): batch 15's update dropped; rollback: back to the snapshot of
# step 10, then 14 more
@pytest.mark.parametrize("policy, kept", [("auto", 29), ("rollback", 24)])
def test_the_documented_loop_trains_on_past_an_empty_depth_batch(tmp_path, policy, kept):
    done = subprocess.run([sys.executable, EXAMPLE, "--steps", "30", "--bad-step", "15", "--policy", policy,
                           "--log-dir", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"done: 30 batches, {kept} updates kept, 1 event(s)" in done.stdout
    assert "iteration=15" in done.stdout and "cause='empty_mask'" in done.stdout and "synthetic-15-0" in done.stdout
    assert (tmp_path / "forensics" / "step-15" / "report.txt").exists()
    assert '"nonfinite"' in (tmp_path / "metrics.jsonl").read_text()


def test_the_documented_loop_retries_a_transient_fault(tmp_path):
    done = subprocess.run([sys.executable, EXAMPLE, "--steps", "20", "--bad-step", "-1", "--flaky-step", "8",
                           "--log-dir", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "done: 20 batches, 20 updates kept, 1 event(s)" in done.stdout
    assert "action='retry', cause='transient'" in done.stdout
    assert "the step is finite when run again on cpu" in done.stdout


BEFORE_THE_NAN = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "before_the_nan.py")


@pytest.mark.skipif(not os.environ.get("DEPTHGUARD_CLI"), reason="its data comes from depthguard synth (ctest names the CLI)")
def test_the_side_by_side_example_audits_and_trains_both_forms(tmp_path):
    pytest.importorskip("PIL", reason="the example reads the PNGs with Pillow (requirements-torch2.txt)")
    synth = subprocess.run([os.environ["DEPTHGUARD_CLI"], "--log-level", "warn", "synth", "--out", str(tmp_path),
                            "--count", "20", "--height", "64", "--width", "96", "--test-fraction", "0.2"],
                           capture_output=True, text=True, timeout=120)
    assert synth.returncode == 0, synth.stderr
    done = subprocess.run([sys.executable, BEFORE_THE_NAN, "--data", str(tmp_path), "--seeds", "1", "--steps", "8"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "[v2_log_sigmoid] aten::log in SiLogLoss" in done.stdout and "[empty_mask] aten::mean" in done.stdout
    assert "forms: none of the paper's vulnerable forms in this step" in done.stdout
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    assert rows[-1].startswith("| depthguard.nn | 1 | 0 | - | - | 0 |"), rows
