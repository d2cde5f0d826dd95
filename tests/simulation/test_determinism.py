"""Same command line, same seed, same node code: byte-identical history under --sim.

Every workload runs twice per seed through the real ``glome test --sim`` (glome's
challenge nodes on their challenges' exact flags with a shorter time limit, and a
small node on glome's runtime for the workloads no challenge uses). The two runs
go at once, and the bench itself runs with a different PYTHONHASHSEED in each, so
neither the machine's scheduling nor the bench's set order can leak into a run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from glome.challenge.catalog import BY_ID, command_line
from glome.challenge.plan import with_time_limit
from support.fixture_nodes import fixture_node

WORKLOADS_NODE = fixture_node("memory_workloads.py")
TIME_LIMIT = 4
COMPARED_FILES = ("history.jsonl", "history.txt", "history.edn", "net-journal.jsonl")


def challenge_line(challenge_id: str, line: int = 0) -> list[str]:
    challenge = BY_ID[challenge_id]
    return command_line(challenge, with_time_limit(challenge.command_lines[line], TIME_LIMIT))


def workloads_line(workload: str, *flags: str) -> list[str]:
    argv = ["-w", workload, "--bin", WORKLOADS_NODE, workload, "--time-limit", str(TIME_LIMIT)]
    return [*argv, *flags]


COMMAND_LINES = {
    "echo": challenge_line("1"),
    "unique-ids": challenge_line("2"),
    "broadcast partitioned": challenge_line("3c"),
    "broadcast 25 nodes": challenge_line("3d"),
    "g-counter": challenge_line("4"),
    "kafka": challenge_line("5b"),
    "txn-rw-register": challenge_line("6c"),
    "g-set": workloads_line("g-set", "--node-count", "1", "--rate", "20"),
    "pn-counter": workloads_line("pn-counter", "--node-count", "1", "--rate", "20"),
    "txn-list-append": workloads_line("txn-list-append", "--node-count", "1", "--rate", "50"),
    "lin-kv": workloads_line(
        "lin-kv",
        "--node-count",
        "3",
        "--concurrency",
        "2n",
        "--rate",
        "50",
        "--nemesis",
        "partition",
        "--nemesis-interval",
        "1",
    ),
}


def run_at_once(tmp_path: Path, runs: list[tuple[list[str], int]]) -> list[Path]:
    """``glome test ARGV --sim --seed SEED`` for each (argv, seed), all at once, the bench
    with PYTHONHASHSEED 1, 2, ...; their store folders, in order."""
    started = []
    for index, (argv, seed) in enumerate(runs, start=1):
        folder = tmp_path / f"run{index}"
        folder.mkdir()
        env = {**os.environ, "PYTHONHASHSEED": str(index)}
        command = [sys.executable, "-m", "glome", "test", *argv, "--sim", "--seed", str(seed)]
        process = subprocess.Popen(
            command, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        started.append((folder, process))
    stores = []
    for folder, process in started:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, f"exit {process.returncode}\n{out[-3000:]}\n{err[-3000:]}"
        stores.append((folder / "store" / "latest").resolve())
    return stores


@pytest.mark.parametrize("name", COMMAND_LINES)
def test_the_same_seed_gives_the_same_run(tmp_path: Path, name: str) -> None:
    argv = COMMAND_LINES[name]
    first, second = run_at_once(tmp_path, [(argv, 20261206), (argv, 20261206)])
    for file_name in COMPARED_FILES:
        assert (first / file_name).read_bytes() == (second / file_name).read_bytes(), file_name
    results = [json.loads((store / "results.json").read_text()) for store in (first, second)]
    assert results[0]["glome"]["clock"] == results[1]["glome"]["clock"] == "virtual"
    assert results[0]["valid?"] is True
    for outcome in results:
        del outcome["glome"]  # wall-clock figures (analysis time) live there alone
    assert results[0] == results[1]
    history = (first / "history.jsonl").read_text().splitlines()
    assert len(history) > 10  # the run did something worth comparing


def test_another_seed_gives_another_run(tmp_path: Path) -> None:
    """The seed is what decides: a different one changes the history (so the comparison
    above is not trivially true)."""
    argv = COMMAND_LINES["broadcast partitioned"]
    first, second = run_at_once(tmp_path, [(argv, 1), (argv, 2)])
    assert (first / "history.jsonl").read_bytes() != (second / "history.jsonl").read_bytes()
