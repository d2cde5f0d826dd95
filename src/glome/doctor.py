"""``glome doctor``: what this installation runs on, for bug reports and CI logs."""

from __future__ import annotations

import platform

import orjson

from glome import __version__, _fast
from glome.exit_codes import BAD_ARGUMENTS


def active_backend(status: dict[str, str]) -> str:
    """The backend ``_fast.load`` hands out, given each module's compiled status."""
    if _fast.PURE_FORCED:
        return "pure (GLOME_NO_EXTENSIONS=1)"
    built = [name for name, state in status.items() if state == "compiled"]
    if len(built) == len(status):
        return "compiled"
    return "pure" if not built else f"mixed (compiled: {', '.join(sorted(built))})"


def report() -> list[str]:
    """The lines ``glome doctor`` prints."""
    status = _fast.compiled_status()
    lines = [f"glome {__version__}", f"backend: {active_backend(status)}", "compiled core:"]
    lines += [f"  _fast.{name}: {state}" for name, state in sorted(status.items())]
    lines += [
        f"orjson {orjson.__version__}",
        f"python {platform.python_version()} ({platform.python_implementation()})",
    ]
    return lines


def main(argv: list[str]) -> int:
    if argv:
        print("usage: glome doctor")
        return BAD_ARGUMENTS
    print("\n".join(report()))
    return 0
