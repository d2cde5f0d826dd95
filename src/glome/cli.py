"""The ``glome`` command: a thin dispatcher to the module that owns each subcommand."""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import import_module

from glome.exit_codes import BAD_ARGUMENTS

# subcommand -> (module, function taking argv and returning an exit code, summary)
SUBCOMMANDS: dict[str, tuple[str, str, str]] = {
    "node": ("glome.nodes", "main", "run one of glome's challenge nodes (echo, unique-ids, ...)"),
    "test": ("glome.bench.cli", "test_main", "run a Maelstrom-compatible test of a node binary"),
    "analyze": ("glome.bench.cli", "analyze_main", "re-run the checkers on a stored test"),
    "check": ("glome.check.command", "check_main", "check Jepsen-style history files (EDN/JSON)"),
    "challenge": (
        "glome.challenge.command",
        "challenge_main",
        "run Gossip Glomers challenges with their official flags and judge them",
    ),
    "sweep": (
        "glome.hunt.sweep",
        "main",
        "run a test under --sim over many seeds, keep the failures",
    ),
    "replay": ("glome.hunt.replay", "main", "rerun a stored simulated run and compare its history"),
    "shrink": ("glome.hunt.shrink", "main", "minimise a failing simulated run, same failure kept"),
    "serve": ("glome.serve", "main", "browse store/ (the runs and report.html) over HTTP"),
    "doctor": ("glome.doctor", "main", "print the version, the active backend and orjson's"),
}


def usage() -> str:
    lines = ["usage: glome <command> [options]", "", "commands:"]
    lines += [f"  {name:<9} {summary}" for name, (_, _, summary) in SUBCOMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help", "help"):
        print(usage())
        return 0 if args else BAD_ARGUMENTS
    command, rest = args[0], args[1:]
    if command not in SUBCOMMANDS:
        print(f"glome: unknown command {command!r}\n\n{usage()}", file=sys.stderr)
        return BAD_ARGUMENTS
    module_name, function_name, _ = SUBCOMMANDS[command]
    run: Callable[[list[str]], int] = getattr(import_module(module_name), function_name)
    return run(rest)


if __name__ == "__main__":
    sys.exit(main())
