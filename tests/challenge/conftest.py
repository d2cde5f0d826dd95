"""Helpers for the glome challenge tests: executable scripts and the glome command."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from support.glome_command import run_glome


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
        return run_glome(tmp_path, *args, timeout=timeout)

    return run
