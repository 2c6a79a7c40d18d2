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
