"""Running the installed ``glome`` command as a user would, from a working folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run_glome(cwd: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``glome ARGS`` in ``cwd`` (its store/ lands there), output captured, not a terminal."""
    return subprocess.run(
        [sys.executable, "-m", "glome", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
