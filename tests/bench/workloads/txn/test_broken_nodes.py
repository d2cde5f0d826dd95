"""The txn workloads end to end through ``glome test``: small nodes under
tests/fixture_nodes/txn_*.py, one correct and three broken on purpose, each
caught with the anomaly its fault produces."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from support.fixture_nodes import fixture_node


def run(cwd: Path, workload: str, node: str, model: str, seed: int = 1) -> dict[str, Any]:
    command = [sys.executable, "-m", "glome", "test", "-w", workload]
    command += ["--bin", fixture_node(f"txn_{node}.py"), "--node-count", "1", "--concurrency", "2n"]
    command += ["--time-limit", "3", "--rate", "300", "--consistency-models", model]
    command += ["--seed", str(seed)]
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=100)
    results = json.loads((cwd / "store" / "latest" / "results.json").read_text())
    assert done.returncode == (0 if results["valid?"] is True else 1), done.stdout[-2000:]
    return results


@pytest.mark.parametrize("workload", ["txn-rw-register", "txn-list-append"])
def test_the_reference_node_is_strict_serializable(tmp_path, workload):
    results = run(tmp_path, workload, "reference", "strict-serializable")
    assert results["valid?"] is True, results["workload"]
    assert results["stats"]["ok-count"] > 300


@pytest.mark.parametrize(
    ("workload", "expected"),
    [("txn-rw-register", {"G1a"}), ("txn-list-append", {"G1a", "dirty-update"})],
)
def test_writes_kept_from_an_aborted_txn_are_aborted_reads(tmp_path, workload, expected):
    results = run(tmp_path, workload, "keeps_aborted", "read-committed")
    assert results["valid?"] is False
    assert set(results["workload"]["anomaly-types"]) == expected
    assert results["stats"]["fail-count"] > 0
    example = results["workload"]["anomalies"]["G1a"][0]
    assert example["writer"]["type"] == "fail"


def test_an_exposed_non_final_write_is_an_intermediate_read(tmp_path):
    results = run(tmp_path, "txn-rw-register", "exposes_intermediate", "read-committed")
    assert results["valid?"] is False
    assert set(results["workload"]["anomaly-types"]) == {"G1b"}


def test_read_uncommitted_does_not_forbid_intermediate_reads(tmp_path):
    results = run(tmp_path, "txn-rw-register", "exposes_intermediate", "read-uncommitted")
    assert "G1b" not in results["workload"]["anomaly-types"]


def test_no_isolation_breaks_read_committed(tmp_path):
    """Which further anomalies show (G1c, internal, lost-update, ...) depends on how
    the transactions happen to interleave; a write seen mid-transaction always does."""
    results = run(tmp_path, "txn-rw-register", "no_isolation", "serializable")
    assert results["valid?"] is False
    assert "G1b" in results["workload"]["anomaly-types"]
