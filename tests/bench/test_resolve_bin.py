"""Where ``--bin`` points: a path as Maelstrom resolves it, or a command on PATH."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from glome.bench.runner import TestAborted, resolve_bin


def _executable(path: Path) -> Path:
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


def test_relative_path_becomes_canonical_absolute(tmp_path, monkeypatch):
    node = _executable(tmp_path / "node")
    monkeypatch.chdir(tmp_path)
    assert resolve_bin("./node") == os.path.realpath(node)


def test_bare_name_found_on_path(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    node = _executable(bin_dir / "my-node")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.chdir(tmp_path)
    assert resolve_bin("my-node") == os.path.realpath(node)


def test_file_in_working_directory_wins_over_path(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _executable(bin_dir / "my-node")
    here = _executable(tmp_path / "my-node")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.chdir(tmp_path)
    assert resolve_bin("my-node") == os.path.realpath(here)


def test_missing_binary_aborts_with_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TestAborted, match="no such file"):
        resolve_bin("./absent")
    with pytest.raises(TestAborted, match="nor a command on PATH"):
        resolve_bin("glome-no-such-node")


def test_non_executable_file_aborts(tmp_path, monkeypatch):
    (tmp_path / "data").write_text("not a program")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TestAborted, match="not executable"):
        resolve_bin("./data")
