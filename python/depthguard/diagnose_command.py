"""``python -m depthguard diagnose DIR``: replays a Python loop's reproducer.

The sentinel writes ``forensics/step-N/`` (``replay.pt`` and ``report.json``) for a loop's
first non-finite step; this replays that step with every operator watched and prints what
produced the value and why. The replay and the report are the C++ core's
(``guard/script_replay.h``), the same as ``depthguard diagnose`` of the CLI.
"""
import argparse
import sys

from . import _C


def diagnose(path, *, device="cpu", replays=1, threads=None):
    """Replays the reproducer at ``path`` (``forensics/step-N`` or its ``replay.pt``) on
    ``device`` up to ``replays`` times and returns the :class:`depthguard.Report`. Each
    replay runs on the intra-op thread count and from the RNG states the step ran with
    (recorded beside it, ``conditions.pt``), so it gives the live verdict; ``threads``
    overrides the thread count. This process's thread count and RNG are left as they were.
    Raises ``ValueError`` for a path that holds no reproducer or a ``threads`` below 1."""
    if threads is not None and threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    return _C.diagnose(str(path), device=device, replays=replays, threads=threads or 0)


def _parser():
    parser = argparse.ArgumentParser(prog="python -m depthguard diagnose",
                                     description="Replay a Python loop's non-finite step and explain it")
    parser.add_argument("bundle", help="RUN/forensics/step-N, or the replay.pt inside it")
    parser.add_argument("--json", action="store_true", help="print the report as JSON instead of text")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default cpu)")
    parser.add_argument("--replays", type=int, default=1,
                        help="replays on --device before the step is called transient (default 1)")
    parser.add_argument("--threads", type=int, default=None,
                        help="intra-op threads of the replays (default: the count the step ran with)")
    return parser


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    if not 1 <= args.replays <= 100:
        parser.error("--replays must be between 1 and 100")
    if args.threads is not None and args.threads < 1:
        parser.error("--threads must be at least 1")
    try:
        report = diagnose(args.bundle, device=args.device, replays=args.replays, threads=args.threads)
    except (ValueError, RuntimeError) as e:
        print(f"depthguard diagnose: {e}", file=sys.stderr)
        return 1
    print(report.json() if args.json else str(report), end="\n" if args.json else "")
    return 0
