"""The kafka workload end to end: ``glome test -w kafka`` against one-node logs with faults.

Each deliberately broken log must make the run invalid with the anomaly its
fault produces; the same log without a fault is the control and must pass.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from support.fixture_nodes import fixture_node

FAULTY_LOG = fixture_node("faulty_log.py")
QUICK = ["--node-count", "1", "--concurrency", "2n", "--time-limit", "3", "--rate", "200"]


def run_kafka(cwd: Path, bin_path: Path, flags: list[str], *node_args: str) -> dict:
    return run_kafka_exit(cwd, bin_path, flags, *node_args)[1]


def run_kafka_exit(
    cwd: Path, bin_path: Path, flags: list[str], *node_args: str
) -> tuple[int, dict]:
    # on the virtual clock: the anomalies do not depend on time, and the 10 s recovery
    # wait costs nothing there
    command = [sys.executable, "-m", "glome", "test", "--sim", "-w", "kafka"]
    command += ["--bin", str(bin_path), *flags, "--seed", "3", *node_args]
    done = subprocess.run(command, cwd=cwd, capture_output=True, timeout=100, check=False)
    return done.returncode, json.loads((cwd / "store" / "latest" / "results.json").read_text())


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("duplicate-offset", "inconsistent-offsets"),
        ("skip-offset", "int-poll-skip"),
        ("lose-write", "lost-write"),
        ("rewind", "nonmonotonic-poll"),
        # the client moved its offsets past a poll's messages before the commit that
        # failed it, as Maelstrom's does: its next poll skips what the failed one read
        ("refuse-commit", "poll-skip"),
    ],
)
def test_a_broken_log_fails_with_its_anomaly(tmp_path, fault, expected):
    results = run_kafka(tmp_path, FAULTY_LOG, QUICK, fault)
    workload = results["workload"]
    assert results["valid?"] is False
    assert expected in workload["bad-error-types"], workload["error-types"]
    assert workload[expected]["count"] > 0


def test_the_same_log_without_a_fault_passes(tmp_path):
    results = run_kafka(tmp_path, FAULTY_LOG, QUICK, "none")
    workload = results["workload"]
    assert workload["error-types"] == []
    assert results["valid?"] is True
    by_f = results["stats"]["by-f"]
    assert by_f["send"]["ok-count"] > 100
    assert by_f["poll"]["ok-count"] > 100
    assert by_f["crash"]["info-count"] >= 2  # one per worker in the final phase


def test_a_message_nobody_sent_leaves_the_run_undecided(tmp_path):
    """Jepsen's kafka checker throws no-writer-of-value: the workload is :unknown,
    and so is the run (exit code 2), though the log also broke other rules."""
    code, results = run_kafka_exit(tmp_path, FAULTY_LOG, QUICK, "phantom")
    workload = results["workload"]
    assert workload["valid?"] == "unknown"
    assert workload["error"]["type"] == "no-writer-of-value"
    assert isinstance(workload["error"]["value"], str)
    assert results["valid?"] == "unknown"
    assert code == 2
