"""``glome test -w lin-kv`` end to end: a node that forwards to Maelstrom's
lin-kv service passes, one that serves reads from a stale cache is caught,
a concurrency that is not a multiple of 2n aborts the test, and a
challenge-size run under partitions is decided well within the search budget."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from glome.bench.checkers.linear import Budget
from support.fixture_nodes import fixture_node

PROXY = fixture_node("lin_kv_proxy.py")


def lin_kv_test(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """Two proxy nodes for 3 s at 60 ops/s, unless later options say otherwise."""
    command = [sys.executable, "-m", "glome", "test", "-w", "lin-kv", "--bin", PROXY]
    command += ["--node-count", "2", "--time-limit", "3", "--rate", "60", "--seed", "5", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60)


def stored(cwd: Path, name: str) -> list | dict:
    path = cwd / "store" / "latest" / name
    if name.endswith(".jsonl"):
        return [json.loads(line) for line in path.read_text().splitlines()]
    return json.loads(path.read_text())


def test_a_linearizable_store_passes(tmp_path):
    run = lin_kv_test(tmp_path, "--concurrency", "4n")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert run.stdout.rstrip().endswith("Everything looks good! ヽ(‘ー`)ノ")
    results = stored(tmp_path, "results.json")
    workload = results["workload"]
    assert workload["valid?"] is True and workload["failures"] == []
    assert {"0", "1"} <= set(workload["results"])  # two groups, two keys
    for f in ("read", "write", "cas"):
        assert results["stats"]["by-f"][f]["ok-count"] > 0
    history = stored(tmp_path, "history.jsonl")
    readers = {op["process"] % 8 for op in history if op["f"] == "read"}
    assert readers == {0, 1}  # only the first n threads of the first group read
    keys = {op["value"][0] for op in history if op["f"] == "write"}
    assert keys <= {0, 1}
    assert (tmp_path / "store" / "latest" / "independent" / "1" / "results.edn").exists()


def test_stale_reads_are_not_linearizable(tmp_path):
    run = lin_kv_test(tmp_path, "--concurrency", "2n", "--", "--stale-reads")
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    assert run.stdout.rstrip().endswith("Analysis invalid! (ﾉಥ益ಥ）ﾉ ┻━┻")
    workload = stored(tmp_path, "results.json")["workload"]
    assert workload["valid?"] is False
    assert workload["failures"] == [0]
    analysis = workload["results"]["0"]["linearizable"]
    assert analysis["valid?"] is False and analysis["op"]["f"] == "read"
    assert (tmp_path / "store" / "latest" / "independent" / "0" / "linear.svg").exists()


def test_concurrency_not_a_multiple_of_2n_aborts_with_255(tmp_path):
    run = lin_kv_test(tmp_path, "--concurrency", "6")
    assert run.returncode == 255
    assert "--concurrency must be a positive multiple of 4; it is 6" in run.stderr
    assert not (tmp_path / "store").exists()  # aborted before any node started


@pytest.mark.timeout(90)
def test_groups_leave_a_key_after_20_processes(tmp_path):
    """Every other write or cas goes unanswered, so each writer thread changes
    process about once a second; group 1's two writers exhaust key 1 in ~10 s."""
    run = lin_kv_test(
        tmp_path,
        *("--node-count", "1", "--concurrency", "4", "--time-limit", "14", "--rate", "100"),
        "--sim",
        *("--", "--mute-every", "2"),
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert stored(tmp_path, "results.json")["stats"]["info-count"] > 0
    processes_by_key: dict[int, set[int]] = defaultdict(set)
    for op in stored(tmp_path, "history.jsonl"):
        if op["type"] == "invoke":
            processes_by_key[op["value"][0]].add(op["process"])
    assert all(len(processes) <= 20 for processes in processes_by_key.values())
    assert len(processes_by_key[1]) >= 19
    later_keys = [key for key in processes_by_key if key >= 2]
    assert later_keys
    assert all(process % 4 in (2, 3) for key in later_keys for process in processes_by_key[key])


@pytest.mark.timeout(120)
def test_a_challenge_size_run_under_partitions_is_decided_well_within_budget(tmp_path):
    """5 nodes, --rate 100, 60 s, partitions, on the virtual clock: a leader store whose
    requests end indeterminate when a partition cuts the leader off. Every key is
    decided (valid: the store is correct), with a small share of the search budget."""
    leader = fixture_node("leader_kv.py")
    command = [sys.executable, "-m", "glome", "test", "-w", "lin-kv", "--bin", str(leader)]
    command += ["--node-count", "5", "--concurrency", "2n", "--rate", "100"]
    command += ["--time-limit", "60", "--nemesis", "partition", "--sim", "--seed", "2"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=110)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = stored(tmp_path, "results.json")
    assert results["stats"]["info-count"] > 20  # the partitions left ops indeterminate
    keys = results["workload"]["results"].values()
    assert all(result["valid?"] is True for result in keys)
    largest = max(result["linearizable"]["configs-explored"] for result in keys)
    assert largest < Budget().key_configs // 20
