"""Kill and pause (docs/faults.md), through the real ``glome test``: the faults are real,
they show in the history and the results, and they lose exactly what they should.

The node under test keeps acknowledged g-set elements in memory only: valid without
faults and under pause (a paused node loses nothing), invalid under kill (a killed
process takes them with it). Virtual time judges the verdicts exactly; one real-time
run shows the same with real signals.
"""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from support.fixture_nodes import fixture_node
from support.glome_command import run_glome

MEMORY_NODE = fixture_node("memory_workloads.py")
FLAGS = ["--node-count", "1", "--time-limit", "10", "--rate", "20", "--nemesis-interval", "2"]


def g_set(tmp_path: Path, *extra: str, timeout: float = 60) -> tuple[int, Path]:
    argv = ["test", "-w", "g-set", "--bin", str(MEMORY_NODE), "g-set", *FLAGS, *extra]
    result = run_glome(tmp_path, *argv, timeout=timeout)
    assert result.returncode in (0, 1), result.stderr[-3000:]
    return result.returncode, (tmp_path / "store" / "latest").resolve()


def nemesis_ops(store: Path) -> list[dict]:
    ops = [json.loads(line) for line in (store / "history.jsonl").read_text().splitlines()]
    return [op for op in ops if op["process"] == "nemesis"]


def inits_sent_to(store: Path, node: str) -> int:
    count = 0
    for line in (store / "net-journal.jsonl").read_bytes().splitlines():
        entry = orjson.loads(line)
        if entry[1] == "send" and entry[3]["dest"] == node and entry[3]["body"]["type"] == "init":
            count += 1
    return count


def test_without_faults_the_memory_node_is_valid(tmp_path: Path) -> None:
    code, store = g_set(tmp_path, "--sim", "--seed", "3")
    assert code == 0
    assert "nemesis" not in json.loads((store / "results.json").read_text())


def test_kill_makes_the_memory_node_lose_acknowledged_elements(tmp_path: Path) -> None:
    code, store = g_set(tmp_path, "--sim", "--seed", "3", "--nemesis", "kill")
    results = json.loads((store / "results.json").read_text())
    assert code == 1 and results["valid?"] is False
    assert results["workload"]["lost-count"] > 0
    ops = nemesis_ops(store)
    kills = [op for op in ops[1::2] if op["f"] == "kill"]
    starts = [op for op in ops[1::2] if op["f"] == "start"]
    assert kills and all(op["value"] == {"n0": "killed"} for op in kills)
    assert {"n0": "started"} in [op["value"] for op in starts]
    # the final ops brought the node back before the final read
    assert ops[-1]["f"] == "start"
    assert results["nemesis"]["kill"]["count"] == len(kills)
    assert results["nemesis"]["kill"]["nodes"] == len(kills)
    assert inits_sent_to(store, "n0") == 1 + sum(op["value"] == {"n0": "started"} for op in starts)


def test_pause_delays_but_loses_nothing(tmp_path: Path) -> None:
    code, store = g_set(tmp_path, "--sim", "--seed", "3", "--nemesis", "pause")
    results = json.loads((store / "results.json").read_text())
    assert code == 0, results["workload"]
    pauses = [op for op in nemesis_ops(store)[1::2] if op["f"] == "pause"]
    assert pauses and results["nemesis"]["pause"]["count"] == len(pauses)
    # requests to the paused node waited for the resume: the slowest took seconds, where
    # handling is instant on the virtual clock
    ops = [json.loads(line) for line in (store / "history.jsonl").read_text().splitlines()]
    invoked: dict[int, int] = {}
    slowest = 0
    for op in ops:
        if op["process"] == "nemesis":
            continue
        if op["type"] == "invoke":
            invoked[op["process"]] = op["time"]
        elif op["type"] == "ok":
            slowest = max(slowest, op["time"] - invoked.pop(op["process"]))
    assert slowest > 500_000_000


def test_kill_is_real_in_real_time_too(tmp_path: Path) -> None:
    code, store = g_set(tmp_path, "--seed", "5", "--nemesis", "kill,pause", timeout=90)
    results = json.loads((store / "results.json").read_text())
    assert results["glome"]["clock"] == "real"
    kills = [op for op in nemesis_ops(store)[1::2] if op["f"] == "kill"]
    assert kills, "seed 5 kills the node at least once in 10 s"
    assert code == 1 and results["workload"]["lost-count"] > 0
    assert inits_sent_to(store, "n0") >= 2


@pytest.mark.parametrize("faults", ["bogus", "partition,crash"])
def test_an_unknown_fault_is_refused_with_the_faults_glome_knows(
    tmp_path: Path, faults: str
) -> None:
    result = run_glome(tmp_path, "test", "-w", "echo", "--bin", "glome-echo", "--nemesis", faults)
    assert result.returncode == 254
    assert "Must be one of kill, partition, pause" in result.stderr
