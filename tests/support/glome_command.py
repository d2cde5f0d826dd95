"""Running the installed ``glome`` command as a user would, from a working folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run_glome(
    cwd: Path, *args: str, timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``glome ARGS`` in ``cwd`` (its store/ lands there), output captured, not a terminal;
    ``env`` replaces the environment (e.g. a backend's, from the ``backend_env`` fixture)."""
    return subprocess.run(
        [sys.executable, "-m", "glome", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
