"""glome-txn (challenges 6a-6c): local commits, batched last-writer-wins replication.

The store's replication runs in-process under a simulated network that drops,
reorders and duplicates batches (every replica must end with the newest
write of every key). The process tests drive the binary over stdin/stdout on
both backends. The bench tests run ``glome test``: the challenges' commands
(full length ones are slow) and a run whose final phase reads every key on
every node after the partitions heal, through ordinary transactions.
"""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glome.bench import runner
from glome.bench.options import parse_test_args
from glome.bench.results import load_history
from glome.bench.workloads import response_schemas
from glome.bench.workloads.txn import RwRegister
from glome.challenge.catalog import BY_ID, command_line
from glome.nodes.txn import RETRANSMIT, Store
from glome.protocol import MALFORMED_REQUEST, response_violation

BIN = Path(sys.executable).parent / "glome-txn"
TXN_SCHEMA = response_schemas()["txn-rw-register"]["txn"]


# --- the store in-process --------------------------------------------------------------------


def test_a_txn_reads_its_own_writes_and_installs_only_its_final_ones():
    store = Store("n0", ["n0", "n1"], 0.0)
    done = store.execute([["r", 1, None], ["w", 1, 5], ["r", 1, None], ["w", 1, 6], ["w", 2, 7]])
    assert done == [["r", 1, None], ["w", 1, 5], ["r", 1, 5], ["w", 1, 6], ["w", 2, 7]]
    assert store.execute([["r", 1, None], ["r", 2, None]]) == [["r", 1, 6], ["r", 2, 7]]
    assert [k for k in store.peers["n1"].pending] == [1, 2]
    assert store.peers["n1"].pending[1][0] == 6, "the overwritten 5 is never replicated"


def test_read_only_txns_take_no_timestamp_and_send_nothing():
    store = Store("n0", ["n0", "n1"], 0.0)
    store.execute([["r", 1, None]])
    assert store.clock == 0 and store.batches(0.0) == []


def test_newest_timestamp_wins_and_the_clock_follows_what_it_saw():
    a, b = Store("n0", ["n0", "n1"], 0.0), Store("n1", ["n0", "n1"], 0.0)
    for _ in range(3):
        a.execute([["w", "x", "a"]])
    b.execute([["w", "x", "b"]])  # timestamp 1 * 2 + 1 = 3, older than a's 3 * 2 + 0 = 6
    b.apply([["x", "a", a.versions["x"][1]]])
    assert b.versions["x"][0] == "a"
    b.execute([["r", "x", None], ["w", "x", "b2"]])
    assert b.versions["x"][1] > a.versions["x"][1], "a write after a read is newer than it"


class Wire:
    """Batches in flight between in-process stores: dropped, reordered, duplicated."""

    def __init__(self, stores: dict[str, Store], rng: random.Random) -> None:
        self.stores, self.rng = stores, rng
        self.in_flight: list[tuple[str, str, dict[str, Any]]] = []
        self.now = 0.0

    def tick(self, node: str, cut: set[frozenset[str]], drop: float = 0.0) -> None:
        for dest, body in self.stores[node].batches(self.now):
            if frozenset((node, dest)) not in cut and self.rng.random() >= drop:
                self.in_flight.append((node, dest, json.loads(json.dumps(body))))

    def deliver_some(self, duplicate: float = 0.0) -> None:
        self.rng.shuffle(self.in_flight)
        keep = self.rng.randrange(len(self.in_flight) + 1)
        delivered, self.in_flight = self.in_flight[keep:], self.in_flight[:keep]
        for src, dest, body in delivered:
            self.stores[dest].receive(src, body, self.now)
            if self.rng.random() < duplicate:
                self.in_flight.append((src, dest, body))


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    node_count=st.integers(2, 4),
    steps=st.integers(1, 120),
    drop=st.sampled_from([0.0, 0.3, 0.8]),
)
def test_replicas_converge_to_the_newest_write_of_every_key(seed, node_count, steps, drop):
    rng = random.Random(seed)
    ids = [f"n{i}" for i in range(node_count)]
    stores = {i: Store(i, ids, 0.0) for i in ids}
    wire = Wire(stores, rng)
    newest: dict[int, tuple[int, str]] = {}
    cut: set[frozenset[str]] = set()
    for step in range(steps):
        node = rng.choice(ids)
        action = rng.random()
        if action < 0.5:
            txn = [
                ["w" if rng.random() < 0.6 else "r", rng.randrange(6), f"{node}.{step}.{i}"]
                for i in range(rng.randint(1, 4))
            ]
            store = stores[node]
            store.execute(txn)
            for f, k, v in txn:
                if f == "w" and store.versions[k][0] == v:
                    newest[k] = max(newest.get(k, (0, "")), (store.versions[k][1], v))
        elif action < 0.8:
            wire.tick(node, cut, drop)
        elif action < 0.9:
            wire.deliver_some(duplicate=0.2)
        else:
            pair = frozenset(rng.sample(ids, 2))
            cut ^= {pair}
        wire.now += rng.choice([0.0, 0.25, RETRANSMIT])
    # heal: lossless ticks and deliveries until nothing is pending anywhere
    for _ in range(20):
        wire.now += RETRANSMIT
        for node in ids:
            wire.tick(node, set())
        while wire.in_flight:
            wire.deliver_some()
    for node in ids:
        assert all(not peer.pending for peer in stores[node].peers.values()), node
        assert {k: (ts, v) for k, (v, ts) in stores[node].versions.items()} == newest, node


def test_a_silent_peer_gets_one_resend_per_retransmit_period():
    store = Store("n0", ["n0", "n1"], 0.0)
    sent = []
    for tick in range(40):  # 10 s at 0.25 s, a write every tick, nothing ever answered
        store.execute([["w", tick, tick]])
        sent += store.batches(tick * 0.25)
    assert 9 <= len(sent) <= 14  # the first second at full rate, then one per RETRANSMIT
    last = sent[-1][1]
    assert last["from"] == 0 and len(last["w"]) == last["to"] >= 36, "resends carry all"


def test_an_acknowledgement_empties_pending_and_quiet_links_fall_silent():
    a, b = Store("n0", ["n0", "n1"], 0.0), Store("n1", ["n0", "n1"], 0.0)
    a.execute([["w", 1, 1]])
    [(_, batch)] = a.batches(0.0)
    b.receive("n0", batch, 0.0)
    [(_, ack)] = b.batches(0.1)
    assert "w" not in ack and ack["ack"] == 1
    a.receive("n1", ack, 0.1)
    assert not a.peers["n1"].pending
    assert a.batches(0.2) == [] and b.batches(0.2) == []


# --- the binary over stdin/stdout --------------------------------------------------------------


@pytest.fixture
def start(start_node: Any) -> Any:
    """``start(node_id, ids, *args)``: an initialised glome-txn on the backend under test."""
    return partial(start_node, BIN)


def test_replies_match_the_schema_and_bad_txns_are_malformed(start):
    node = start("n0", ["n0"])
    reply = node.request("c1", {"type": "txn", "msg_id": 2, "txn": [["w", 1, 2], ["r", 1, None]]})
    assert response_violation(TXN_SCHEMA, reply) is None, reply
    assert reply["txn"] == [["w", 1, 2], ["r", 1, 2]]
    for msg_id, bad in enumerate([None, [["x", 1, 2]], [["r", 1]], [["r", [1], None]]], 3):
        reply = node.request("c1", {"type": "txn", "msg_id": msg_id, "txn": bad})
        assert reply["type"] == "error" and reply["code"] == MALFORMED_REQUEST, reply


def test_a_node_replicates_its_writes_and_acknowledges_its_peers(start):
    node = start("n0", ["n0", "n1"], "--interval", "0.05")
    node.request("c1", {"type": "txn", "msg_id": 2, "txn": [["w", 1, 10]]})
    batch = node.recv(2.0)
    assert batch["dest"] == "n1" and batch["body"]["w"] == [[1, 10, batch["body"]["w"][0][2]]]
    peer = {"type": "replicate", "ack": batch["body"]["to"], "from": 0, "to": 1}
    node.send("n1", {**peer, "w": [[7, 70, 10**6]]})
    ack = node.recv(2.0)["body"]
    assert ack == {"type": "replicate", "ack": 1, "i": batch["body"]["i"]}  # its incarnation
    reply = node.request("c1", {"type": "txn", "msg_id": 3, "txn": [["r", 7, None]]})
    assert reply["txn"] == [["r", 7, 70]]
    assert node.silent_for(0.5), "nothing pending and nothing owed: the link falls silent"


def test_a_restarted_peer_gets_every_version_again_from_write_0(start):
    node = start("n0", ["n0", "n1"], "--interval", "0.05")
    node.request("c1", {"type": "txn", "msg_id": 2, "txn": [["w", 1, 10], ["w", 2, 20]]})
    batch = node.recv(2.0)["body"]
    node.send("n1", {"type": "replicate", "ack": batch["to"], "i": [5, 0]})
    assert node.silent_for(0.5), "everything acknowledged"
    # n1 comes back as a new process: it holds nothing and acknowledges nothing
    node.send("n1", {"type": "replicate", "ack": 0, "i": [9, 0]})
    again = node.recv(2.0)["body"]
    assert (again["from"], again["to"]) == (0, 1)
    assert sorted((k, v) for k, v, _ in again["w"]) == [(1, 10), (2, 20)]
    # a late message of the old process says nothing of the new one
    node.send("n1", {"type": "replicate", "ack": 1, "i": [5, 0]})
    resent = node.recv(2.5)["body"]  # still unacknowledged: resent after RETRANSMIT
    assert resent["from"] == 0 and len(resent["w"]) == 2


# --- the challenges through glome test ---------------------------------------------------------

CHALLENGE = ["--time-limit", "20", "--rate", "1000", "--concurrency", "2n"]


def bench(cwd: Path, *flags: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """A txn run on the virtual clock."""
    command = [sys.executable, "-m", "glome", "test", "--sim", "-w", "txn-rw-register"]
    command += ["--bin", str(BIN), *flags]
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=150, env=env)
    results = json.loads((cwd / "store" / "latest" / "results.json").read_text())
    assert done.returncode in (0, 1), done.stdout[-2000:] + done.stderr[-2000:]
    return results


def assert_totally_available(results: dict[str, Any]) -> None:
    assert results["valid?"] is True, results["workload"]
    assert results["availability"]["ok-fraction"] == 1.0
    assert results["stats"]["fail-count"] == results["stats"]["info-count"] == 0


def challenge(nodes: int, model: str, partitions: bool, time_limit: str = "20") -> list[str]:
    flags = ["--node-count", str(nodes), *CHALLENGE, "--consistency-models", model]
    flags += ["--availability", "total", "--time-limit", time_limit]
    return [*flags, "--nemesis", "partition"] if partitions else flags


@pytest.mark.timeout(200)
@pytest.mark.parametrize(
    ("challenge_id", "line"),
    [("6a", 0), ("6b", 0), ("6b", 1), ("6c", 0)],
    ids=["6a", "6b", "6b-partition", "6c"],
)
def test_challenges(tmp_path, challenge_id, line):
    """The exact command lines of challenges.py (6c with partitions truly on)."""
    official = BY_ID[challenge_id]
    flags = command_line(official, official.command_lines[line], str(BIN))[4:]  # after -w X --bin Y
    results = bench(tmp_path, *flags, "--seed", "3")
    assert_totally_available(results)
    assert results["net"]["servers"]["msgs-per-op"] <= 1.0
    if "partition" in flags:
        servers = results["net"]["servers"]
        assert servers["send-count"] > servers["recv-count"], "the partitions dropped nothing"


@pytest.mark.timeout(200)
def test_read_committed_on_five_nodes_with_exponential_latency(tmp_path):
    flags = challenge(5, "read-committed", True)
    results = bench(tmp_path, *flags, "--latency", "100", "--latency-dist", "exponential")
    assert_totally_available(results)


def test_6c_short_on_each_backend(tmp_path, backend_env):
    flags = challenge(2, "read-committed", True, "4")
    assert_totally_available(bench(tmp_path, *flags, env=backend_env))


def test_one_node_is_strict_serializable(tmp_path):
    assert_totally_available(bench(tmp_path, *challenge(1, "strict-serializable", False, "3")))


def test_across_a_partition_updates_are_lost_as_total_availability_must_allow(tmp_path):
    """Both sides of a cut commit read-modify-writes of the same keys: repeatable
    read (and everything above it) cannot hold, read committed still does."""
    flags = challenge(2, "repeatable-read", True, "4")
    results = bench(tmp_path, *flags, "--seed", "2")
    assert results["availability"]["ok-fraction"] == 1.0
    assert results["workload"]["valid?"] is False
    assert "lost-update" in results["workload"]["anomaly-types"]
    assert not {"G0", "G1a", "G1b", "G1c"} & set(results["workload"]["anomaly-types"])


class FinalReads(RwRegister):
    """txn-rw-register plus a final phase: after the heal and 10 s of recovery,
    every worker reads every key the run ever wrote, in one transaction."""

    final_phase = True

    def final_op(self, thread: int) -> dict[str, Any] | None:
        keys = range(max(self.txns.active) + 1)
        reads = {"f": "txn", "final?": True, "value": [["r", k, None] for k in keys]}
        return self.once_per_thread(thread, reads)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("nodes", [2, 5])
def test_every_node_ends_with_the_same_value_for_every_key(tmp_path, monkeypatch, nodes):
    monkeypatch.setattr(runner, "create", lambda name, options, rng: FinalReads(options, rng))
    argv = ["-w", "txn-rw-register", "--bin", str(BIN), *challenge(nodes, "read-committed", True)]
    options = parse_test_args([*argv, "--time-limit", "4", "--rate", "300", "--seed", "5", "--sim"])
    outcome = runner.run(options, io.StringIO(), tmp_path / "store")
    results = outcome.results
    assert results is not None
    assert_totally_available(results)
    assert outcome.store is not None
    history = load_history(outcome.store)
    finals = [op for op in history if op.get("final?") and op["type"] == "ok"]
    assert len(finals) == 2 * nodes  # two workers per node
    states = {json.dumps(op["value"]) for op in finals}
    assert len(states) == 1, "replicas disagree after the heal"
    assert sum(v is not None for _, _, v in finals[0]["value"]) > 10
