"""``glome replay``: a stored simulated run, rerun, gives the same history -- or shows
the first op where it does not; a run it cannot rerun is refused with exit 254."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from glome.bench.results import stored_tests
from support.fixture_nodes import fixture_node
from support.glome_command import run_glome
from support.planted_bug import EARLY_SEED, history_lines, read_json, store_run

BAD_ARGUMENTS = 254


@pytest.fixture(scope="module")
def failing_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One stored failing run; a test that edits it edits a copy."""
    return store_run(tmp_path_factory.mktemp("original"), EARLY_SEED)


def copy_of(store: Path, where: Path) -> Path:
    return Path(shutil.copytree(store, where / "copy"))


def test_a_failing_run_replays_identically_twice(failing_store: Path, tmp_path: Path) -> None:
    result = run_glome(tmp_path, "replay", str(failing_store), "--times", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    ops = len(history_lines(failing_store))
    assert result.stdout.count(f"identical: {ops} ops, same history") == 2
    assert result.stdout.count("verdict: invalid (lost, stale), as stored") == 2
    replays = stored_tests(tmp_path / "store")
    assert len(replays) == 2  # each replay keeps its store, and says where
    for replay in replays:
        assert f"store: {replay.relative_to(tmp_path)}" in result.stdout
        assert (replay / "history.jsonl").read_bytes() == (
            failing_store / "history.jsonl"
        ).read_bytes()


def test_a_difference_shows_the_first_op_that_differs(failing_store: Path, tmp_path: Path) -> None:
    edited = copy_of(failing_store, tmp_path)
    lines = history_lines(edited)
    index = len(lines) // 3
    op = json.loads(lines[index])
    op["process"] = 4242
    lines[index] = json.dumps(op).encode()
    (edited / "history.jsonl").write_bytes(b"\n".join(lines) + b"\n")

    result = run_glome(tmp_path, "replay", str(edited))

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"the histories part at op {index}" in result.stdout
    assert f"time {op['time'] / 1e9:.9f} s stored" in result.stdout
    # side by side, one row per key, the differing one marked: * process  4242  <stored>
    was = json.loads(history_lines(failing_store)[index])["process"]
    marked = [line.split() for line in result.stdout.splitlines() if line.lstrip()[:2] == "* "]
    assert marked == [["*", "process", "4242", str(was)]]
    assert "identical" not in result.stdout


def test_a_real_time_run_is_refused(tmp_path: Path) -> None:
    echo = fixture_node("echo_node.py")
    run = run_glome(
        tmp_path, "test", "-w", "echo", "--bin", echo, "--time-limit", "1", "--no-plots"
    )
    assert run.returncode == 0, run.stderr

    result = run_glome(tmp_path, "replay", "-1")  # an index, as glome analyze -t takes

    assert result.returncode == BAD_ARGUMENTS
    assert "ran on the real clock" in result.stderr
    assert not result.stdout


def test_unfinished_or_incomplete_stores_are_refused(failing_store: Path, tmp_path: Path) -> None:
    interrupted = copy_of(failing_store, tmp_path / "interrupted")
    test = read_json(interrupted / "test.json")
    (interrupted / "test.json").write_text(
        json.dumps({"options": test["options"], "glome": {"interrupted": "SIGINT"}})
    )
    aborted = copy_of(failing_store, tmp_path / "aborted")
    (aborted / "test.json").write_text(json.dumps({"options": test["options"]}))
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "history.jsonl").write_bytes((failing_store / "history.jsonl").read_bytes())

    for store, why in [
        (interrupted, "interrupted by SIGINT"),
        (aborted, "aborted run"),
        (bare, "has no test.json"),
        (tmp_path / "nowhere", "history.jsonl missing"),
    ]:
        result = run_glome(tmp_path, "replay", str(store))
        assert result.returncode == BAD_ARGUMENTS, store
        assert why in result.stderr
    assert not stored_tests(tmp_path / "store")


def test_help_and_a_bad_command_line(tmp_path: Path) -> None:
    shown = run_glome(tmp_path, "replay", "--help")
    assert shown.returncode == 0 and "--times K" in shown.stdout
    bad = run_glome(tmp_path, "replay", "somewhere", "--times", "0")
    assert bad.returncode == BAD_ARGUMENTS and "usage: glome replay" in bad.stderr
