"""Running ``glome check`` as a user would, on history files written for a test."""

from __future__ import annotations

import subprocess
from pathlib import Path

from support.glome_command import run_glome


def write(folder: Path, name: str, text: str) -> Path:
    """A history file ``name`` in ``folder`` holding ``text``."""
    path = folder / name
    path.write_text(text)
    return path


def check(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``glome check ARGS`` run in ``folder``."""
    return run_glome(folder, "check", *args)


def verdicts(done: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """FILE -> true|false|unknown, from the command's output lines."""
    lines = [line.split("\t") for line in done.stdout.splitlines() if line]
    assert all(len(parts) == 2 for parts in lines), done.stdout
    return {file: verdict for file, verdict in lines}
