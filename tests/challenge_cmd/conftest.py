"""Helpers for the glome challenge tests: executable scripts and the glome command."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def script(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write an executable Python script (this interpreter) named ``name``."""

    def write(name: str, body: str) -> Path:
        path = tmp_path / name
        path.write_text(f"#!{sys.executable}\n{body}", encoding="utf-8")
        path.chmod(0o755)
        return path

    return write


@pytest.fixture
def glome(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``glome ARGS`` in tmp_path (its store/ lands there), output not a terminal."""

    def run(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "glome", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run
