"""glome's nodes with the word ``durable`` under every fault at once (docs/faults.md).

Each runs on its challenge's node count with ``--nemesis partition,kill,pause`` on the
virtual clock, and must stay valid: nothing acknowledged is lost. Total availability
is left out (a killed node cannot answer, whatever its design), and so is echo
(Maelstrom's echo checker counts every request that timed out as a mismatch).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.glome_command import run_glome

FAULTS = ["--nemesis", "partition,kill,pause", "--nemesis-interval", "3", "--sim"]
BROADCAST_5 = ["-w", "broadcast", "--bin", "glome-broadcast", "--node-count", "5", "--rate", "10"]
BROADCAST_25 = [
    *("-w", "broadcast", "--bin", "glome-broadcast", "--node-count", "25"),
    *("--rate", "100", "--latency", "100"),
]
TXN = ["-w", "txn-rw-register", "--bin", "glome-txn", "--node-count", "2", "--concurrency", "2n"]
KAFKA = ["-w", "kafka", "--bin", "glome-kafka", "--node-count", "2", "--concurrency", "2n"]

CONFIGS = {
    "unique-ids": (
        ["-w", "unique-ids", "--bin", "glome-unique-ids", "--node-count", "3", "--rate", "100"],
        ["durable"],
    ),
    "broadcast efficient": (BROADCAST_5, ["efficient", "durable"]),
    "broadcast latency": (BROADCAST_5, ["latency", "durable"]),
    "broadcast frugal, 25 nodes": (BROADCAST_25, ["frugal", "durable"]),
    "g-counter": (
        ["-w", "g-counter", "--bin", "glome-counter", "--node-count", "3", "--rate", "100"],
        ["durable"],
    ),
    "kafka": (
        [*KAFKA, "--rate", "100"],
        ["durable"],
    ),
    "txn-rw-register": (
        [*TXN, "--rate", "100", "--consistency-models", "read-committed"],
        ["durable"],
    ),
}


@pytest.mark.parametrize("name", CONFIGS)
def test_a_durable_node_loses_nothing_under_every_fault(tmp_path: Path, name: str) -> None:
    flags, node_args = CONFIGS[name]
    argv = ["test", *FAULTS, "--seed", "2", "--time-limit", "15", *flags, *node_args]
    result = run_glome(tmp_path, *argv, timeout=120)
    store = (tmp_path / "store" / "latest").resolve()
    results = json.loads((store / "results.json").read_text())
    assert result.returncode == 0, (results.get("workload"), result.stderr[-2000:])
    faults = results["nemesis"]
    assert faults["kill"]["nodes"] > 0 and faults["pause"]["nodes"] > 0  # the faults happened
