"""``python -m depthguard diagnose DIR``: replays a Python loop's reproducer.

The sentinel writes ``forensics/step-N/`` (``replay.pt`` and ``report.json``) for a loop's
first non-finite step; this replays that step with every operator watched and prints what
produced the value and why. The replay and the report are the C++ core's
(``guard/script_replay.h``), the same as ``depthguard diagnose`` of the CLI.
"""
import argparse
import sys

from . import _C


def diagnose(path, *, device="cpu", replays=1):
    """Replays the reproducer at ``path`` (``forensics/step-N`` or its ``replay.pt``) on
    ``device`` up to ``replays`` times and returns the :class:`depthguard.Report`.
    Raises ``ValueError`` for a path that holds no reproducer."""
    return _C.diagnose(str(path), device=device, replays=replays)


def _parser():
    parser = argparse.ArgumentParser(prog="python -m depthguard diagnose",
                                     description="Replay a Python loop's non-finite step and explain it")
    parser.add_argument("bundle", help="RUN/forensics/step-N, or the replay.pt inside it")
    parser.add_argument("--json", action="store_true", help="print the report as JSON instead of text")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default cpu)")
    parser.add_argument("--replays", type=int, default=1,
                        help="replays on --device before the step is called transient (default 1)")
    return parser


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    if not 1 <= args.replays <= 100:
        parser.error("--replays must be between 1 and 100")
    try:
        report = diagnose(args.bundle, device=args.device, replays=args.replays)
    except (ValueError, RuntimeError) as e:
        print(f"depthguard diagnose: {e}", file=sys.stderr)
        return 1
    print(report.json() if args.json else str(report), end="\n" if args.json else "")
    return 0
