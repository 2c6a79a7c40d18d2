"""``python -m depthguard COMMAND``: the package's commands (diagnose)."""
import sys

from . import diagnose_command

_COMMANDS = {"diagnose": diagnose_command.main}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in _COMMANDS:
        known = ", ".join(_COMMANDS)
        given = f"'{sys.argv[1]}' is not a command" if len(sys.argv) > 1 else "no command given"
        print(f"usage: python -m depthguard {{{known}}} ...: {given}", file=sys.stderr)
        sys.exit(2)
    sys.exit(_COMMANDS[sys.argv[1]](sys.argv[2:]))
